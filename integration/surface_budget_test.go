package integration

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcpmend/mcpmend/internal/wirelog"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Budgets of what a model reads (Claude Code hands it the serialized
// structuredContent), on the 54710 fixture.
const (
	budgetDiagnoseOne = 2500
	budgetDiagnoseAll = 4000
	budgetReset       = 1500
)

const canary54710 = "CANARY-54710-d0c4f3"

// headerServer is a go-sdk MCP server on loopback that answers only
// requests carrying "Authorization: Bearer <token>", and a bare 401
// otherwise.
func headerServer(t *testing.T, token string) string {
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server {
		s := mcp.NewServer(&mcp.Implementation{Name: "accounts", Version: "1.0.0"}, nil)
		mcp.AddTool(s, &mcp.Tool{Name: "list_accounts", Description: "list accounts"}, func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, any, error) {
			return &mcp.CallToolResult{}, nil, nil
		})
		return s
	}, nil)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if token != "" && r.Header.Get("Authorization") != "Bearer "+token {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// fixture54710 writes claude-code issue 54710's home into home: a
// ~/.claude.json server with a static Authorization header that is healthy
// now, remembered by Claude Code's needs-auth cache (gate A stamped at
// gateAt) after a transient 401, beside six other servers (healthy,
// refused, missing, crashing).
func fixture54710(t *testing.T, home string, gateAt time.Time) {
	t.Helper()
	accounts := headerServer(t, canary54710)
	open := headerServer(t, "")
	servers := map[string]any{
		"digitalocean-accounts": map[string]any{"type": "http", "url": accounts + "/mcp", "headers": map[string]any{"Authorization": "Bearer " + canary54710}},
		"docs":                  map[string]any{"type": "http", "url": open + "/mcp"},
		"search":                map[string]any{"type": "http", "url": open + "/mcp"},
		"tickets":               map[string]any{"type": "http", "url": open + "/mcp"},
		"billing":               map[string]any{"type": "http", "url": accounts + "/mcp", "headers": map[string]any{"Authorization": "Bearer wrong-" + canary54710}},
		"gone":                  map[string]any{"command": "mcpmend-test-no-such-server", "env": map[string]any{"API_KEY": canary54710}},
		"crashy":                map[string]any{"command": "sh", "args": []string{"-c", "exit 3"}},
	}
	writeClaudeJSON(t, home, servers)
	gate, _ := json.Marshal(map[string]any{"digitalocean-accounts": map[string]any{"timestamp": gateAt.UnixMilli()}})
	if err := os.MkdirAll(filepath.Join(home, ".claude"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(needsAuthPath(home), gate, 0o600); err != nil {
		t.Fatal(err)
	}
}

// rawLog keeps the bytes the server sent, so sizes and key order are those
// on the wire (the client decodes structuredContent into a map).
type rawLog struct{ wirelog.Log }

// last is the structuredContent of the newest tool result, as sent.
func (w *rawLog) last(t *testing.T) string {
	t.Helper()
	raw, err := w.LastStructured()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// modelSession is a go-sdk client of `mcpmend serve` that introduces
// itself as one Claude Code version (mcpmend shapes some answers by it),
// keeps the bytes on the wire, and holds every result to a budget: what a
// model reads, led by status and verdict, with no secret in it.
type modelSession struct {
	t     *testing.T
	ctx   context.Context
	cs    *mcp.ClientSession
	wire  *rawLog
	calls int // tool calls so far
}

// newModelSession starts `mcpmend serve` with env and connects to it as
// Claude Code version.
func newModelSession(t *testing.T, ctx context.Context, env []string, version string) *modelSession {
	t.Helper()
	cmd := exec.Command(binary, "serve")
	cmd.Env = env
	cmd.Stderr = &testWriter{t: t}
	wire := &rawLog{}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "claude-code", Version: version}, nil).
		Connect(ctx, &mcp.LoggingTransport{Transport: &mcp.CommandTransport{Command: cmd}, Writer: wire}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	return &modelSession{t: t, ctx: ctx, cs: cs, wire: wire}
}

// call calls a tool and returns the structured result as sent and the
// text; a result over budget, not led by status and verdict, or carrying
// a canary fails the test.
func (m *modelSession) call(name string, args map[string]any, budget int) (raw, text string) {
	t := m.t
	t.Helper()
	m.calls++
	res, err := m.cs.CallTool(m.ctx, &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil || res.IsError {
		t.Fatalf("%s %v: %v %+v", name, args, err, res)
	}
	raw = m.wire.last(t)
	text = res.Content[0].(*mcp.TextContent).Text
	t.Logf("%s %v: %d bytes of JSON, %d of text", name, args, len(raw), len(text))
	if len(raw) > budget {
		t.Errorf("%s %v: %d bytes of JSON, budget %d:\n%s", name, args, len(raw), budget, raw)
	}
	if !strings.HasPrefix(raw, `{"status":"`) || !strings.Contains(raw, `,"verdict":"`) {
		t.Errorf("%s: status and verdict do not lead: %.200s", name, raw)
	}
	if strings.Contains(raw+text, "CANARY") {
		t.Errorf("%s leaks a secret:\n%s\n%s", name, raw, text)
	}
	return raw, text
}

// TestModelFirstBudgets54710 drives the built binary over stdio with a
// go-sdk client through the case in two calls — diagnose names the server
// stuck and gives reset_server_auth as next; that call clears it — and
// holds every result to its budget, with status, verdict and next leading
// and no secret anywhere.
func TestModelFirstBudgets54710(t *testing.T) {
	home := t.TempDir()
	fixture54710(t, home, time.Now().Add(-2*time.Minute))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// Claude Code 2.1.328 re-fetches tools in every mode: mcpmend offers
	// bridge_server, the largest answers a model gets.
	m := newModelSession(t, ctx, homeEnv(home), "2.1.328")

	all, allText := m.call("diagnose", map[string]any{"timeout": 20}, budgetDiagnoseAll)
	var overview struct {
		Status  string
		Next    struct{ Tool string }
		Servers []struct{ Name, Status string }
	}
	json.Unmarshal([]byte(all), &overview)
	if len(overview.Servers) != 7 || overview.Status != "error" || overview.Next.Tool != "reset_server_auth" || !strings.Contains(allText, "digitalocean-accounts") {
		t.Errorf("diagnose {}: %s", all)
	}

	m.calls = 0
	one, oneText := m.call("diagnose", map[string]any{"name": "digitalocean-accounts"}, budgetDiagnoseOne)
	var d struct {
		Status string
		Next   struct {
			Tool      string
			Arguments map[string]any
		}
	}
	json.Unmarshal([]byte(one), &d)
	if d.Status != "error" || d.Next.Tool != "reset_server_auth" || d.Next.Arguments["name"] != "digitalocean-accounts" {
		t.Fatalf("diagnose: next is not the reset: %s", one)
	}
	if !strings.Contains(oneText, "reset_server_auth") || !strings.Contains(oneText, "stale-needs-auth") {
		t.Errorf("the text lacks what the structured result says:\n%s", oneText)
	}
	reset, resetText := m.call(d.Next.Tool, d.Next.Arguments, budgetReset)
	if !strings.Contains(reset, `"outcome":"applied"`) || !strings.Contains(resetText, "undo_reset") || !strings.Contains(reset, `"next":{"step":"if this conversation lacks`) {
		t.Errorf("reset: %s", reset)
	}
	if m.calls != 2 {
		t.Errorf("%d calls to fix 54710, want 2", m.calls)
	}
	after, _ := m.call("diagnose", map[string]any{"name": "digitalocean-accounts"}, budgetDiagnoseOne)
	if !strings.HasPrefix(after, `{"status":"ok"`) {
		t.Errorf("after the reset: %s", after)
	}
}
