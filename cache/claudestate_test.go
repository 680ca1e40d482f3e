package cache

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcpmend/mcpmend/cache/internal/storetest"
	"github.com/mcpmend/mcpmend/cache/mcplogs"
	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/registry"
)

// claudeFixture is testdata/claude-state: Claude Code's state as the real CLI
// wrote it (see regenerate.sh there), and what its next session then did.
type claudeFixture struct {
	SessionAtMs int64  `json:"session_at_ms"`
	CWD         string `json:"cwd"`
	Servers     map[string]struct {
		SessionStatus  string `json:"session_status"`
		SessionDialled bool   `json:"session_dialled"`
		MCPMendAction  string `json:"mcpmend_action"`
		MCPMendGates   string `json:"mcpmend_gates"`
	} `json:"servers"`
}

func loadClaudeFixture(t *testing.T) (claudeFixture, registry.Env) {
	t.Helper()
	data, err := os.ReadFile("testdata/claude-state/meta.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx claudeFixture
	if err := json.Unmarshal(data, &fx); err != nil {
		t.Fatal(err)
	}
	home, err := filepath.Abs("testdata/claude-state/home")
	if err != nil {
		t.Fatal(err)
	}
	env := storetest.Env(home)
	env.CWD = fx.CWD
	return fx, env
}

// TestClaudeFixtureSessionView judges the real CLI's files at the moment its
// session ran and checks the verdict against what that session did: skip
// exactly when it reported needs-auth without sending a request.
func TestClaudeFixtureSessionView(t *testing.T) {
	fx, env := loadClaudeFixture(t)
	if len(fx.Servers) < 6 {
		t.Fatalf("fixture has %d servers", len(fx.Servers))
	}
	inv := registry.Discover(env)
	now := time.UnixMilli(fx.SessionAtMs)
	in := NewInspector(env, now, inv.Servers)
	seen := 0
	for _, srv := range inv.Servers {
		want, ok := fx.Servers[srv.Name]
		if !ok || srv.Client != registry.ClaudeCode {
			continue
		}
		seen++
		st := in.Inspect(context.Background(), srv)
		if len(st.Damage) > 0 {
			t.Errorf("%s: damage %+v", srv.Name, st.Damage)
		}
		gates := ""
		for _, g := range st.Session.Gates {
			gates += g.Gate
		}
		if st.Session.Action != want.MCPMendAction || gates != want.MCPMendGates {
			t.Errorf("%s: %s gates %q, want %s gates %q", srv.Name, st.Session.Action, gates, want.MCPMendAction, want.MCPMendGates)
		}
		skipped := want.SessionStatus == "needs-auth" && !want.SessionDialled
		if (st.Session.Action == ActionSkip) != skipped {
			t.Errorf("%s: mcpmend says %s; the real session reported %s (dialled: %v)", srv.Name, st.Session.Action, want.SessionStatus, want.SessionDialled)
		}
		for _, r := range st.Records {
			if strings.Contains(r.Detail, "CANARY") {
				t.Errorf("%s: header value in %+v", srv.Name, r)
			}
		}
		// The session's log is the evidence: a skipped server's last line says so.
		var last store.Record
		for _, r := range st.Records {
			if r.Store == store.MCPLogs {
				last = r
			}
		}
		if skipped && last.Kind != mcplogs.KindLogSkip {
			t.Errorf("%s: last log record %+v, want the session's skip line", srv.Name, last)
		}
	}
	if seen != len(fx.Servers) {
		t.Errorf("the registry found %d of the fixture's %d servers", seen, len(fx.Servers))
	}
}

// TestClaudeFixtureLapses moves the clock: gate A lapses after 15 min, B
// after 7 days, C after 30, as the facts say.
func TestClaudeFixtureLapses(t *testing.T) {
	fx, env := loadClaudeFixture(t)
	inv := registry.Discover(env)
	at := time.UnixMilli(fx.SessionAtMs)
	for _, tt := range []struct {
		after time.Duration
		want  map[string]string
	}{
		{16 * time.Minute, map[string]string{"stuck-reg": "B", "stuck-noreg": "BC", "hdr-a": ""}},
		{8 * 24 * time.Hour, map[string]string{"stuck-reg": "", "stuck-noreg": "C"}},
		{31 * 24 * time.Hour, map[string]string{"stuck-noreg": ""}},
	} {
		in := NewInspector(env, at.Add(tt.after), inv.Servers)
		for _, srv := range inv.Servers {
			want, ok := tt.want[srv.Name]
			if !ok {
				continue
			}
			st := in.Inspect(context.Background(), srv)
			gates := ""
			for _, g := range st.Session.Gates {
				gates += g.Gate
			}
			if gates != want || (want == "") != (st.Session.Action == ActionDial) {
				t.Errorf("+%s %s: %s gates %q, want gates %q", tt.after, srv.Name, st.Session.Action, gates, want)
			}
		}
	}
}
