package tools

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcpmend/mcpmend/cache"
	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/registry"
)

// claudeStateDeps points Deps at the real-CLI fixture in cache/testdata
// (copied, so nothing can touch it), with the clock at its session's time.
func claudeStateDeps(t testing.TB) *Deps {
	t.Helper()
	src := filepath.Join("..", "cache", "testdata", "claude-state")
	var meta struct {
		SessionAtMs int64  `json:"session_at_ms"`
		CWD         string `json:"cwd"`
	}
	data, err := os.ReadFile(filepath.Join(src, "meta.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &meta); err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	if err := os.CopyFS(home, os.DirFS(filepath.Join(src, "home"))); err != nil {
		t.Fatal(err)
	}
	d := NewDeps(registry.Env{Home: home, CWD: meta.CWD, GOOS: "linux", Getenv: func(string) string { return "" }}, nil)
	at := time.UnixMilli(meta.SessionAtMs)
	d.Now = func() time.Time { return at }
	return d
}

func TestServerStateFixture(t *testing.T) {
	d := claudeStateDeps(t)
	ctx := context.Background()
	out, err := ServerState(ctx, d, ServerStateInput{Name: "stuck-reg"})
	if err != nil {
		t.Fatal(err)
	}
	if out.Session == nil || out.Session.Action != cache.ActionSkip || len(out.Session.Gates) != 2 {
		t.Fatalf("session = %+v", out.Session)
	}
	stores := map[string]int{}
	for _, s := range out.Stores {
		stores[s.Store] = len(s.Records)
	}
	if stores[store.NeedsAuth] != 1 || stores[store.Credentials] != 1 || len(out.Evidence) == 0 {
		t.Errorf("stores %v, evidence %d", stores, len(out.Evidence))
	}
	text := out.Text()
	for _, want := range []string{"Next Claude Code session: SKIP", "[ACTIVE] needs-auth stuck-reg", "tokenless-rejection", "Skipping connection (cached needs-auth)", "reset_server_auth"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}

	// A header-carrying server: its value never shows.
	out, err = ServerState(ctx, d, ServerStateInput{Name: "hdr-a", Client: "claude-code"})
	if err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(out)
	if strings.Contains(out.Text()+string(js), "CANARY") {
		t.Errorf("configured header value leaked:\n%s\n%s", out.Text(), js)
	}

	// A server that nothing blocks.
	out, err = ServerState(ctx, d, ServerStateInput{Name: "fresh"})
	if err != nil || out.Session.Action != cache.ActionDial || len(out.Stores) != 0 {
		t.Errorf("fresh: %+v %v", out, err)
	}
}

func TestServerStateBadInput(t *testing.T) {
	d := claudeStateDeps(t)
	for _, tt := range []struct {
		in   ServerStateInput
		want string
	}{
		{ServerStateInput{Name: "stuck_reg"}, `did you mean stuck-reg?`},
		{ServerStateInput{Name: "Fresh"}, `did you mean fresh?`},
		{ServerStateInput{Name: "fresh", Client: "cursor"}, `no server named "fresh" is configured for cursor`},
		{ServerStateInput{Name: "fresh", Client: "nope"}, `unknown client "nope"`},
		{ServerStateInput{}, "name is required"},
	} {
		_, err := ServerState(context.Background(), d, tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: err = %v, want %q", tt.in, err, tt.want)
		}
	}
}

func TestFindServerAmbiguous(t *testing.T) {
	inv := &registry.Inventory{Servers: []registry.Server{
		{Name: "gh", Client: registry.ClaudeCode, Scope: "user", Effective: false, ShadowedBy: "local x"},
		{Name: "gh", Client: registry.ClaudeCode, Scope: "local", Project: "/p", Effective: true},
		{Name: "gh", Client: registry.Cursor, Scope: "user", Effective: true},
	}}
	if _, err := findServer(inv, "gh", "", ""); err == nil || !strings.Contains(err.Error(), "pass client") {
		t.Errorf("two clients: err = %v", err)
	}
	s, err := findServer(inv, "gh", registry.ClaudeCode, "")
	if err != nil || s.Scope != "local" {
		t.Errorf("claude-code: %+v %v, want the effective local definition", s, err)
	}
	s, err = findServer(inv, "gh", registry.ClaudeCode, "user")
	if err != nil || s.Scope != "user" {
		t.Errorf("claude-code user: %+v %v", s, err)
	}
}

func TestListServersStates(t *testing.T) {
	d := claudeStateDeps(t)
	out, err := ListServers(context.Background(), d, ListServersInput{Client: registry.ClaudeCode})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, s := range out.Servers {
		sum, ok := out.States[StateKey(s)]
		if !ok {
			t.Errorf("no state for %s", StateKey(s))
		}
		got[s.Name] = sum.Session + " " + strings.Join(sum.Gates, "")
	}
	want := map[string]string{"stuck-reg": "skip AB", "stuck-noreg": "skip BC", "hdr-a": "skip A", "lapsed-a": "dial ", "future-a": "dial ", "fresh": "dial "}
	for n, w := range want {
		if got[n] != w {
			t.Errorf("%s: state %q, want %q", n, got[n], w)
		}
	}
	text := out.Text()
	if !strings.Contains(text, "state: skip (gate A+B) until") || strings.Contains(text, "CANARY") {
		t.Errorf("list text:\n%s", text)
	}
}

// BenchmarkDiscover and BenchmarkSummarize measure what list_servers' states
// add to a listing, on the real-CLI fixture (six Claude Code servers).
func BenchmarkDiscover(b *testing.B) {
	d := claudeStateDeps(b)
	for b.Loop() {
		registry.Discover(d.Env)
	}
}

func BenchmarkSummarize(b *testing.B) {
	d := claudeStateDeps(b)
	inv := registry.Discover(d.Env)
	for b.Loop() {
		summarize(context.Background(), d, d.Env, inv.Servers, inv.Servers)
	}
}
