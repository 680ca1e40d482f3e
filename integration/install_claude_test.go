package integration

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// stubMessagesAPI is a loopback Anthropic Messages API that answers every
// request with one plain text message (streamed when asked), so a real
// `claude -p` session runs to the end without a key or the internet. It
// records the tool names each request offered the model.
type stubMessagesAPI struct {
	URL   string
	mu    sync.Mutex
	tools []string
}

const stubAnswer = "hello from the loopback stub"

func newStubMessagesAPI(t *testing.T) *stubMessagesAPI {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &stubMessagesAPI{URL: "http://" + ln.Addr().String()}
	srv := &http.Server{Handler: http.HandlerFunc(s.serve), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return s
}

func (s *stubMessagesAPI) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/v1/messages") {
		http.NotFound(w, r)
		return
	}
	var req struct {
		Model  string                  `json:"model"`
		Stream bool                    `json:"stream"`
		Tools  []struct{ Name string } `json:"tools"`
	}
	body, _ := io.ReadAll(r.Body)
	_ = json.Unmarshal(body, &req)
	s.mu.Lock()
	for _, tl := range req.Tools {
		s.tools = append(s.tools, tl.Name)
	}
	s.mu.Unlock()
	msg := map[string]any{"id": "msg_stub", "type": "message", "role": "assistant", "model": req.Model,
		"content": []any{}, "stop_reason": nil, "stop_sequence": nil,
		"usage": map[string]int{"input_tokens": 1, "output_tokens": 1}}
	if !req.Stream {
		msg["content"] = []any{map[string]string{"type": "text", "text": stubAnswer}}
		msg["stop_reason"] = "end_turn"
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(msg)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	ev := func(name string, v any) {
		b, _ := json.Marshal(v)
		fmt.Fprintf(w, "event: %s\ndata: %s\n\n", name, b)
	}
	ev("message_start", map[string]any{"type": "message_start", "message": msg})
	ev("content_block_start", map[string]any{"type": "content_block_start", "index": 0, "content_block": map[string]string{"type": "text", "text": ""}})
	ev("content_block_delta", map[string]any{"type": "content_block_delta", "index": 0, "delta": map[string]string{"type": "text_delta", "text": stubAnswer}})
	ev("content_block_stop", map[string]any{"type": "content_block_stop", "index": 0})
	ev("message_delta", map[string]any{"type": "message_delta", "delta": map[string]any{"stop_reason": "end_turn", "stop_sequence": nil}, "usage": map[string]int{"output_tokens": 5}})
	ev("message_stop", map[string]any{"type": "message_stop"})
}

func (s *stubMessagesAPI) offered() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.tools...)
}

// TestInstallClaudeCodeLive: after `mcpmend install --client claude-code`
// the real Claude Code CLI, run from a directory that is neither the home
// nor where install ran, connects to mcpmend (user scope, absolute path)
// and a session offers its tools to the model.
func TestInstallClaudeCodeLive(t *testing.T) {
	claude := npmBin(t, "claude")
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, ".claude"), 0o700); err != nil {
		t.Fatal(err)
	}
	r := install(t, home, 0, "install", "--client", "claude-code")
	outcome(t, r, "installed")

	elsewhere := t.TempDir()
	list := runClaude(t, claude, home, elsewhere, false, "mcp", "list")
	t.Logf("claude mcp list:\n%s", list)
	if !lineWith(list, "mcpmend", binary+" serve", "✔ Connected") {
		t.Fatalf("claude mcp list from another directory does not show mcpmend connected:\n%s", list)
	}

	api := newStubMessagesAPI(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, claude, "-p", "hi", "--output-format", "stream-json", "--verbose")
	cmd.Dir = elsewhere
	cmd.Env = append(homeEnv(home), "ANTHROPIC_BASE_URL="+api.URL, "ANTHROPIC_API_KEY=dummy")
	cmd.Stdin = strings.NewReader("")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("claude -p: %v\nstdout: %s\nstderr: %s", err, out.String(), errb.String())
	}
	tools, status, result := initAndResult(t, out.String())
	var ours []string
	for _, name := range tools {
		if strings.HasPrefix(name, "mcp__mcpmend__") {
			ours = append(ours, name)
		}
	}
	t.Logf("mcpmend tools in the init event: %v", ours)
	if status != "connected" || !contains(ours, "mcp__mcpmend__diagnose") || !contains(ours, "mcp__mcpmend__reset_server_auth") || len(ours) > 5 {
		t.Fatalf("init event: mcpmend %q, tools %v", status, ours)
	}
	if !strings.Contains(result, stubAnswer) {
		t.Errorf("the session's result %q is not the stub's answer", result)
	}
	// Claude Code 2.1.328 defers MCP tools behind ToolSearch, so the first
	// request lists its built-in tools only; that it came at all shows the
	// session ran against the stub.
	if len(api.offered()) == 0 {
		t.Error("the session never called the stub Messages API")
	}
}

// initAndResult reads stream-json output: the init event's tools and
// mcpmend's status, and the final result text.
func initAndResult(t *testing.T, out string) (tools []string, status, result string) {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 4<<20), 4<<20)
	for sc.Scan() {
		var ev struct {
			Type, Subtype, Result string
			Tools                 []string
			MCPServers            []struct{ Name, Status string } `json:"mcp_servers"`
		}
		if json.Unmarshal(sc.Bytes(), &ev) != nil {
			continue
		}
		switch {
		case ev.Type == "system" && ev.Subtype == "init":
			tools = ev.Tools
			for _, s := range ev.MCPServers {
				if s.Name == "mcpmend" {
					status = s.Status
				}
			}
		case ev.Type == "result":
			result = ev.Result
		}
	}
	if tools == nil {
		t.Fatalf("no init event in:\n%s", out)
	}
	return tools, status, result
}

// lineWith reports whether one line of text holds every part.
func lineWith(text string, parts ...string) bool {
	for _, ln := range strings.Split(text, "\n") {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(ln, p)
		}
		if ok {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
