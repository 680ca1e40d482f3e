package needsauth

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcpmend/mcpmend/cache/internal/storetest"
	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/internal/testfs"
	"github.com/mcpmend/mcpmend/registry"
)

func TestNeedsAuthJudge(t *testing.T) {
	httpSrv := `{"type":"http","url":"http://127.0.0.1:4131/mcp"}`
	tests := []struct {
		name, entry, srv string
		scope            string
		wantActive       bool
		wantUntil        time.Time // zero: don't check
		wantDetail       string
	}{
		{name: "fresh default TTL", entry: fmt.Sprintf(`{"timestamp":%d}`, storetest.MsAgo(time.Minute)), srv: httpSrv,
			wantActive: true, wantUntil: storetest.Now.Add(14 * time.Minute), wantDetail: "TTL 15m0s, default"},
		{name: "just before 15 min", entry: fmt.Sprintf(`{"timestamp":%d}`, storetest.MsAgo(15*time.Minute-time.Millisecond)), srv: httpSrv, wantActive: true},
		{name: "exactly 15 min is expired", entry: fmt.Sprintf(`{"timestamp":%d}`, storetest.MsAgo(15*time.Minute)), srv: httpSrv,
			wantActive: false, wantDetail: "expired at"},
		{name: "ttlMs wins", entry: fmt.Sprintf(`{"timestamp":%d,"ttlMs":7200000}`, storetest.MsAgo(time.Hour)), srv: httpSrv,
			wantActive: true, wantUntil: storetest.Now.Add(time.Hour), wantDetail: "ttlMs"},
		{name: "ttlMs lapsed", entry: fmt.Sprintf(`{"timestamp":%d,"ttlMs":1000}`, storetest.MsAgo(2*time.Second)), srv: httpSrv, wantActive: false},
		{name: "59 s in the future counts", entry: fmt.Sprintf(`{"timestamp":%d}`, storetest.MsAgo(-59*time.Second)), srv: httpSrv, wantActive: true},
		{name: "60 s in the future is ignored", entry: fmt.Sprintf(`{"timestamp":%d}`, storetest.MsAgo(-60*time.Second)), srv: httpSrv,
			wantActive: false, wantDetail: "in the future"},
		{name: "sse is gated", entry: fmt.Sprintf(`{"timestamp":%d}`, storetest.MsAgo(time.Minute)), srv: `{"type":"sse","url":"http://x/sse"}`, wantActive: true},
		{name: "stdio never gated", entry: fmt.Sprintf(`{"timestamp":%d}`, storetest.MsAgo(time.Minute)), srv: `{"command":"node"}`,
			wantActive: false, wantDetail: "never gated"},
		{name: "ws never gated", entry: fmt.Sprintf(`{"timestamp":%d}`, storetest.MsAgo(time.Minute)), srv: `{"type":"ws","url":"ws://x"}`, wantActive: false},
		{name: "plugin without headers: 4 h", entry: fmt.Sprintf(`{"timestamp":%d}`, storetest.MsAgo(time.Hour)), srv: httpSrv, scope: store.ScopePlugin,
			wantActive: true, wantUntil: storetest.Now.Add(3 * time.Hour)},
		{name: "plugin with headers: 15 min", entry: fmt.Sprintf(`{"timestamp":%d}`, storetest.MsAgo(time.Hour)),
			srv: `{"type":"http","url":"http://x","headers":{"A":"b"}}`, scope: store.ScopePlugin, wantActive: false},
		{name: "plugin entry with id ignored", entry: fmt.Sprintf(`{"timestamp":%d,"id":"x"}`, storetest.MsAgo(time.Minute)), srv: httpSrv, scope: store.ScopePlugin, wantActive: false},
		{name: "claude.ai connector: 4 h", entry: fmt.Sprintf(`{"timestamp":%d}`, storetest.MsAgo(2*time.Hour)), srv: httpSrv, scope: store.ScopeClaudeAI, wantActive: true},
		{name: "timestamp not a number", entry: `{"timestamp":"soon"}`, srv: httpSrv, wantActive: false, wantDetail: "malformed"},
		{name: "entry not an object", entry: `true`, srv: httpSrv, wantActive: false, wantDetail: "malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			home := t.TempDir()
			env := storetest.Env(home)
			testfs.WriteFile(t, filepath.Join(home, ".claude", "mcp-needs-auth-cache.json"), `{"other":{"timestamp":1},"srv":`+tt.entry+`}`)
			srv := storetest.ClaudeServer(t, "srv", tt.srv)
			if tt.scope != "" {
				srv.Scope = tt.scope
			}
			recs, err := Store{}.Inspect(context.Background(), env, srv, storetest.Now)
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != 1 {
				t.Fatalf("got %d records, want 1: %+v", len(recs), recs)
			}
			r := recs[0]
			if r.Active != tt.wantActive || r.Kind != store.KindNeedsAuth || r.Key != "srv" || !r.Resettable {
				t.Errorf("record = %+v, want active=%v", r, tt.wantActive)
			}
			if !tt.wantUntil.IsZero() && (r.Until == nil || !r.Until.Equal(tt.wantUntil)) {
				t.Errorf("until = %v, want %v", r.Until, tt.wantUntil)
			}
			if !strings.Contains(r.Detail, tt.wantDetail) {
				t.Errorf("detail %q does not mention %q", r.Detail, tt.wantDetail)
			}
		})
	}
}

func TestNeedsAuthOtherNamesAndClients(t *testing.T) {
	home := t.TempDir()
	env := storetest.Env(home)
	testfs.WriteFile(t, filepath.Join(home, ".claude", "mcp-needs-auth-cache.json"), fmt.Sprintf(`{"github-tools":{"timestamp":%d}}`, storetest.MsAgo(time.Minute)))
	srv := storetest.ClaudeServer(t, "github", `{"type":"http","url":"https://x"}`)
	if recs, err := (Store{}).Inspect(context.Background(), env, srv, storetest.Now); err != nil || len(recs) != 0 {
		t.Errorf("github matched another name's entry: %+v, %v", recs, err)
	}
	srv = storetest.ClaudeServer(t, "github-tools", `{"type":"http","url":"https://x"}`)
	srv.Client = registry.Cursor
	if recs, err := (Store{}).Inspect(context.Background(), env, srv, storetest.Now); err != nil || len(recs) != 0 {
		t.Errorf("a Cursor server got Claude Code records: %+v, %v", recs, err)
	}
}

func TestNeedsAuthConfigDir(t *testing.T) {
	home := t.TempDir()
	cfg := filepath.Join(home, "cfg")
	env := storetest.Env(home, "CLAUDE_CONFIG_DIR", cfg)
	testfs.WriteFile(t, filepath.Join(cfg, "mcp-needs-auth-cache.json"), fmt.Sprintf(`{"srv":{"timestamp":%d}}`, storetest.MsAgo(time.Minute)))
	recs, err := Store{}.Inspect(context.Background(), env, storetest.ClaudeServer(t, "srv", `{"type":"http","url":"http://x"}`), storetest.Now)
	if err != nil || len(recs) != 1 || recs[0].File != filepath.Join(cfg, "mcp-needs-auth-cache.json") {
		t.Fatalf("CLAUDE_CONFIG_DIR not honoured: %+v, %v", recs, err)
	}
}

func TestNeedsAuthDamaged(t *testing.T) {
	for _, tt := range []struct{ name, data, reason string }{
		{"truncated", `{"srv":{"timestamp":17957`, "not valid JSON"},
		{"empty", ``, "empty"},
		{"array", `[1,2]`, "an array, not an object"},
		{"null", `null`, "null, not an object"},
		{"garbage", "\x00\x01binary", "not valid JSON"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			home := t.TempDir()
			path := filepath.Join(home, ".claude", "mcp-needs-auth-cache.json")
			testfs.WriteFile(t, path, tt.data)
			recs, err := Store{}.Inspect(context.Background(), storetest.Env(home), storetest.ClaudeServer(t, "srv", `{"type":"http","url":"http://x"}`), storetest.Now)
			var de *store.DamagedError
			if !errors.As(err, &de) {
				t.Fatalf("err = %v (records %+v), want a DamagedError", err, recs)
			}
			if de.File != path || de.Store != store.NeedsAuth || !strings.Contains(de.Reason, tt.reason) {
				t.Errorf("damage = %+v, want file %s and a reason mentioning %q", de, path, tt.reason)
			}
		})
	}
}

func TestNeedsAuthMissingFile(t *testing.T) {
	recs, err := Store{}.Inspect(context.Background(), storetest.Env(t.TempDir()), storetest.ClaudeServer(t, "srv", `{"type":"http","url":"http://x"}`), storetest.Now)
	if err != nil || recs != nil {
		t.Errorf("missing file: %+v, %v; want nothing", recs, err)
	}
}
