package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

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

// fixture54710 is claude-code issue 54710's home: a ~/.claude.json server
// with a static Authorization header that is healthy now, remembered by
// Claude Code's needs-auth cache after a transient 401, beside six other
// servers (healthy, refused, missing, crashing).
func fixture54710(t *testing.T) string {
	home := t.TempDir()
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
	cfg, _ := json.Marshal(map[string]any{"mcpServers": servers})
	if err := os.WriteFile(filepath.Join(home, ".claude.json"), cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	gate, _ := json.Marshal(map[string]any{"digitalocean-accounts": map[string]any{"timestamp": time.Now().Add(-2 * time.Minute).UnixMilli()}})
	os.MkdirAll(filepath.Join(home, ".claude"), 0o700)
	if err := os.WriteFile(filepath.Join(home, ".claude", "mcp-needs-auth-cache.json"), gate, 0o600); err != nil {
		t.Fatal(err)
	}
	return home
}

// rawLog keeps the bytes the server sent, so sizes and key order are those
// on the wire (the client decodes structuredContent into a map).
type rawLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (w *rawLog) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

// last is the structuredContent of the newest tool result, as sent.
func (w *rawLog) last(t *testing.T) string {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	lines := strings.Split(w.buf.String(), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		_, msg, ok := strings.Cut(lines[i], "read: ")
		if !ok || !strings.Contains(msg, `"structuredContent":`) {
			continue
		}
		var m struct {
			Result struct {
				StructuredContent json.RawMessage `json:"structuredContent"`
			} `json:"result"`
		}
		if err := json.Unmarshal([]byte(msg), &m); err != nil {
			t.Fatalf("wire: %v", err)
		}
		return string(m.Result.StructuredContent)
	}
	t.Fatal("no structured result on the wire")
	return ""
}

// TestModelFirstBudgets54710 drives the built binary over stdio with a
// go-sdk client through the case in two calls — diagnose names the server
// stuck and gives reset_server_auth as next; that call clears it — and
// holds every result to its budget, with status, verdict and next leading
// and no secret anywhere.
func TestModelFirstBudgets54710(t *testing.T) {
	home := fixture54710(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.Command(binary, "serve")
	cmd.Env = homeEnv(home)
	cmd.Stderr = &testWriter{t: t}
	wire := &rawLog{}
	// Claude Code 2.1.328 re-fetches tools in every mode: mcpmend offers
	// bridge_server, the largest answers a model gets.
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "claude-code", Version: "2.1.328"}, nil).
		Connect(ctx, &mcp.LoggingTransport{Transport: &mcp.CommandTransport{Command: cmd}, Writer: wire}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	calls := 0
	call := func(name string, args map[string]any, budget int) (string, string) {
		t.Helper()
		calls++
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
		if err != nil || res.IsError {
			t.Fatalf("%s %v: %v %+v", name, args, err, res)
		}
		raw := wire.last(t)
		text := res.Content[0].(*mcp.TextContent).Text
		t.Logf("%s %v: %d bytes of JSON, %d of text", name, args, len(raw), len(text))
		if len(raw) > budget {
			t.Errorf("%s %v: %d bytes of JSON, budget %d:\n%s", name, args, len(raw), budget, raw)
		}
		if !strings.HasPrefix(raw, `{"status":"`) || !strings.Contains(raw, `,"verdict":"`) {
			t.Errorf("%s: status and verdict do not lead: %.200s", name, raw)
		}
		if strings.Contains(raw+text, canary54710) {
			t.Errorf("%s leaks the header value", name)
		}
		return raw, text
	}

	all, allText := call("diagnose", map[string]any{"timeout": 20}, budgetDiagnoseAll)
	var overview struct {
		Status  string
		Next    struct{ Tool string }
		Servers []struct{ Name, Status string }
	}
	json.Unmarshal([]byte(all), &overview)
	if len(overview.Servers) != 7 || overview.Status != "error" || overview.Next.Tool != "reset_server_auth" || !strings.Contains(allText, "digitalocean-accounts") {
		t.Errorf("diagnose {}: %s", all)
	}

	calls = 0
	one, oneText := call("diagnose", map[string]any{"name": "digitalocean-accounts"}, budgetDiagnoseOne)
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
	reset, resetText := call(d.Next.Tool, d.Next.Arguments, budgetReset)
	if !strings.Contains(reset, `"outcome":"applied"`) || !strings.Contains(resetText, "undo_reset") || !strings.Contains(reset, `"next":{"step":"if this conversation lacks`) {
		t.Errorf("reset: %s", reset)
	}
	if calls != 2 {
		t.Errorf("%d calls to fix 54710, want 2", calls)
	}
	after, _ := call("diagnose", map[string]any{"name": "digitalocean-accounts"}, budgetDiagnoseOne)
	if !strings.HasPrefix(after, `{"status":"ok"`) {
		t.Errorf("after the reset: %s", after)
	}
}
