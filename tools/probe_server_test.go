package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpmend/mcpmend/registry"
	"github.com/mcpmend/mcpmend/tools/probe"
)

const probeCanary = "CANARY-probe-5e1d"

// probeHome writes a Claude Code configuration to a temp home: servers at
// user scope, more at local scope for the project, and a project .mcp.json
// nobody approved. It returns Deps for that home with the project as cwd.
func probeHome(t *testing.T, user, local, project map[string]any) *Deps {
	t.Helper()
	home, proj := t.TempDir(), t.TempDir()
	cfg := map[string]any{"mcpServers": user}
	if local != nil {
		cfg["projects"] = map[string]any{proj: map[string]any{"mcpServers": local}}
	}
	writeJSONFile(t, filepath.Join(home, ".claude.json"), cfg)
	if project != nil {
		writeJSONFile(t, filepath.Join(proj, ".mcp.json"), map[string]any{"mcpServers": project})
	}
	env := registry.OSEnv().WithHome(home)
	env.CWD = proj
	return NewDeps(env, nil)
}

func writeJSONFile(t *testing.T, path string, v any) {
	t.Helper()
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// mcpHTTP serves a go-sdk MCP server over streamable HTTP on loopback,
// behind gate when it is non-nil.
func mcpHTTP(t *testing.T, gate func(http.Handler) http.Handler) string {
	t.Helper()
	var h http.Handler = mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server {
		s := mcp.NewServer(&mcp.Implementation{Name: "probe-target", Version: "2.0.0"}, nil)
		mcp.AddTool(s, &mcp.Tool{Name: "hello"}, func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, any, error) {
			return &mcp.CallToolResult{}, nil, nil
		})
		return s
	}, nil)
	if gate != nil {
		h = gate(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func unauthorized(http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		http.Error(w, "no", http.StatusUnauthorized)
	})
}

// hanging never answers; it reads the body first, or net/http would not
// notice the client hanging up.
func hanging(http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	})
}

// session connects an in-memory MCP client to mcpmend's server over d,
// recording progress notifications.
func session(t *testing.T, d *Deps) (*mcp.ClientSession, *progressLog) {
	t.Helper()
	ct, st := mcp.NewInMemoryTransports()
	ctx := context.Background()
	if _, err := NewServer(d).Connect(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	pl := &progressLog{}
	c := mcp.NewClient(&mcp.Implementation{Name: "test"}, &mcp.ClientOptions{
		ProgressNotificationHandler: func(_ context.Context, r *mcp.ProgressNotificationClientRequest) {
			pl.add(r.Params)
		}})
	cs, err := c.Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs, pl
}

type progressLog struct {
	mu  sync.Mutex
	got []*mcp.ProgressNotificationParams
}

// await waits up to 5 s for n notifications and returns how many came:
// the client handles notifications apart from the call's result, so the
// last may be handled just after the result arrives.
func (p *progressLog) await(n int) int {
	deadline := time.Now().Add(5 * time.Second)
	for len(p.all()) < n && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	return len(p.all())
}

func (p *progressLog) add(n *mcp.ProgressNotificationParams) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.got = append(p.got, n)
}

func (p *progressLog) all() []*mcp.ProgressNotificationParams {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*mcp.ProgressNotificationParams(nil), p.got...)
}

// TestProbeServerAllOverMCP probes every server of a home through the MCP
// tool: results in list order whatever finishes first, progress per probe,
// unapproved project servers never started, no secret in the output.
func TestProbeServerAllOverMCP(t *testing.T) {
	good := mcpHTTP(t, nil)
	slowGood := mcpHTTP(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { time.Sleep(150 * time.Millisecond); h.ServeHTTP(w, r) })
	})
	locked := mcpHTTP(t, unauthorized)
	marker := filepath.Join(t.TempDir(), "ran")
	d := probeHome(t, map[string]any{
		"a-slow":   map[string]any{"type": "http", "url": slowGood},
		"b-good":   map[string]any{"type": "http", "url": good, "headers": map[string]any{"X-Api-Key": probeCanary}},
		"c-locked": map[string]any{"type": "http", "url": locked, "headers": map[string]any{"Authorization": "Bearer " + probeCanary}},
		"d-gone":   map[string]any{"command": "mcpmend-test-no-such-server", "env": map[string]any{"TOKEN": probeCanary}},
	}, nil, map[string]any{
		"e-untrusted": map[string]any{"command": "sh", "args": []string{"-c", "touch " + marker}},
	})
	cs, progress := session(t, d)
	params := &mcp.CallToolParams{Name: "probe_server", Arguments: map[string]any{"all": true, "timeout": 10}}
	params.SetProgressToken("p1")
	res, err := cs.CallTool(context.Background(), params)
	if err != nil {
		t.Fatal(err)
	}
	if res.IsError {
		t.Fatalf("probe_server failed: %v", res.Content)
	}
	raw, _ := json.Marshal(res)
	if strings.Contains(string(raw), probeCanary) {
		t.Fatalf("canary leaked: %s", raw)
	}
	var out ProbeServerOutput
	sc, _ := json.Marshal(res.StructuredContent)
	if err := json.Unmarshal(sc, &out); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range out.Results {
		got = append(got, r.Name+"="+string(r.Verdict))
	}
	want := "a-slow=ok b-good=ok c-locked=auth_rejected d-gone=command_not_found"
	if strings.Join(got, " ") != want {
		t.Errorf("results = %v, want %s (list order, not completion order)", got, want)
	}
	if out.Failed != 2 || len(out.Notes) != 1 || !strings.Contains(out.Notes[0], "skipped 1") {
		t.Errorf("failed %d, notes %v", out.Failed, out.Notes)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Errorf("an unapproved project server was started")
	}
	if n := progress.await(4); n != 4 {
		t.Errorf("%d progress notifications, want one per probe (4)", n)
	}
	for _, p := range progress.all() {
		if p.Total != 4 || p.Message == "" {
			t.Errorf("progress = %+v", p)
		}
	}
	text := res.Content[0].(*mcp.TextContent).Text
	for _, w := range []string{"VERDICT", "b-good", "probe-target 2.0.0", "c-locked", "auth_rejected", "2 of 4 probes failed"} {
		if !strings.Contains(text, w) {
			t.Errorf("text lacks %q:\n%s", w, text)
		}
	}
}

// TestProbeServerLookup: bad names and ambiguous names.
func TestProbeServerLookup(t *testing.T) {
	good := mcpHTTP(t, nil)
	missing := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(missing.Close)
	d := probeHome(t,
		map[string]any{"github": map[string]any{"type": "http", "url": missing.URL + "/mcp"}},
		map[string]any{"github": map[string]any{"type": "http", "url": good}},
		map[string]any{"pending-one": map[string]any{"command": "true"}})
	ctx := context.Background()
	tests := []struct {
		in      ProbeServerInput
		wantErr string
	}{
		{ProbeServerInput{Name: "githb"}, `did you mean github`},
		{ProbeServerInput{Name: "nothing-like-it"}, `list_servers shows every configured server`},
		{ProbeServerInput{}, "name is required"},
		{ProbeServerInput{Name: "github", All: true}, "not both"},
		{ProbeServerInput{Name: "github", Client: "emacs"}, "unknown client"},
		{ProbeServerInput{Name: "github", Timeout: 500}, "between 1 and 120"},
	}
	for _, tt := range tests {
		_, err := ProbeServer(ctx, d, tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("ProbeServer(%+v) error = %v, want %q", tt.in, err, tt.wantErr)
		}
	}
	// An unapproved project server is answered, never started.
	pend, err := ProbeServer(ctx, d, ProbeServerInput{Name: "pending-one"})
	if err != nil || len(pend.Results) != 1 || pend.Results[0].Verdict != probe.NotTrusted || !strings.Contains(pend.Results[0].Summary, "approve") {
		t.Errorf("pending-one: %+v, %v", pend, err)
	}
	// Defined at user and local scope: the local one is effective and is
	// the one dialled (the user one points at a server that answers 404).
	out, err := ProbeServer(ctx, d, ProbeServerInput{Name: "github"})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Results) != 1 || out.Results[0].Scope != "local" || out.Results[0].Verdict != probe.OK {
		t.Fatalf("results = %+v", out.Results)
	}
	if len(out.Notes) != 1 || !strings.Contains(out.Notes[0], "claude-code/local/github") || !strings.Contains(out.Notes[0], "claude-code/user/github") {
		t.Errorf("notes = %v, want which definition was used and the other", out.Notes)
	}
	out, err = ProbeServer(ctx, d, ProbeServerInput{Name: "github", Scope: "user"})
	if err != nil {
		t.Fatal(err)
	}
	if r := out.Results[0]; r.Scope != "user" || r.Verdict != probe.NotFound {
		t.Errorf("user-scope probe = %s %s, want the shadowed definition dialled (404)", r.Scope, r.Verdict)
	}
}

// TestProbeServerCancel: cancelling the call stops hanging probes at once.
func TestProbeServerCancel(t *testing.T) {
	servers := map[string]any{}
	for i := range 3 {
		servers[fmt.Sprintf("hang%d", i)] = map[string]any{"type": "http", "url": mcpHTTP(t, hanging)}
	}
	d := probeHome(t, servers, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	_, err := ProbeServer(ctx, d, ProbeServerInput{All: true, Timeout: 60})
	if err == nil || !strings.Contains(err.Error(), "cancel") {
		t.Fatalf("err = %v, want cancellation", err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("cancellation took %s", el)
	}
}
