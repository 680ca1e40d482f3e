package integration

import (
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

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// scriptedModel is a loopback Messages API that plays a model: each request
// is answered by step, which sees the tools Claude Code offered and the
// tool results so far and returns the next tool call (or nil to end the
// turn with text). It records every request's tools and every tool result,
// and the text blocks of the newest request's user messages (texts, which
// step may read: it runs under mu).
type scriptedModel struct {
	URL     string
	step    func(offered map[string]bool, results []string) *toolUse
	mu      sync.Mutex
	offered [][]string
	results []string
	texts   []string
	n       int
	ended   chan struct{} // receives when a turn ends (a text answer)
}

type toolUse struct {
	Name  string
	Input map[string]any
}

func newScriptedModel(t *testing.T, step func(offered map[string]bool, results []string) *toolUse) *scriptedModel {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &scriptedModel{URL: "http://" + ln.Addr().String(), step: step, ended: make(chan struct{}, 4)}
	srv := &http.Server{Handler: http.HandlerFunc(s.serve), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return s
}

func (s *scriptedModel) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/v1/messages") {
		http.NotFound(w, r)
		return
	}
	var req struct {
		Model    string                  `json:"model"`
		Stream   bool                    `json:"stream"`
		Tools    []struct{ Name string } `json:"tools"`
		Messages []struct {
			Role    string          `json:"role"`
			Content json.RawMessage `json:"content"`
		} `json:"messages"`
	}
	body, _ := io.ReadAll(r.Body)
	_ = json.Unmarshal(body, &req)
	offered := map[string]bool{}
	var names []string
	for _, tl := range req.Tools {
		offered[tl.Name] = true
		names = append(names, tl.Name)
	}
	var results, texts []string
	for _, m := range req.Messages {
		var blocks []struct {
			Type    string          `json:"type"`
			Text    string          `json:"text"`
			Content json.RawMessage `json:"content"`
		}
		var text string
		switch {
		case json.Unmarshal(m.Content, &blocks) == nil:
			for _, b := range blocks {
				switch {
				case b.Type == "tool_result":
					results = append(results, string(b.Content))
				case b.Type == "text" && m.Role == "user":
					texts = append(texts, b.Text)
				}
			}
		case m.Role == "user" && json.Unmarshal(m.Content, &text) == nil:
			texts = append(texts, text)
		}
	}
	s.mu.Lock()
	s.offered = append(s.offered, names)
	s.results, s.texts = results, texts
	use := s.step(offered, results)
	if use == nil && s.ended != nil {
		select {
		case s.ended <- struct{}{}:
		default:
		}
	}
	s.n++
	id := fmt.Sprintf("toolu_%02d", s.n)
	s.mu.Unlock()
	writeMessage(w, req.Model, req.Stream, use, id)
}

// writeMessage answers with one tool_use block, or a text block ending the
// turn, streamed as server-sent events when asked.
func writeMessage(w http.ResponseWriter, model string, stream bool, use *toolUse, id string) {
	block := map[string]any{"type": "text", "text": "done"}
	stop := "end_turn"
	if use != nil {
		block = map[string]any{"type": "tool_use", "id": id, "name": use.Name, "input": use.Input}
		stop = "tool_use"
	}
	msg := map[string]any{"id": "msg_" + id, "type": "message", "role": "assistant", "model": model, "content": []any{block},
		"stop_reason": stop, "stop_sequence": nil, "usage": map[string]int{"input_tokens": 1, "output_tokens": 1}}
	if !stream {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(msg)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	ev := func(name string, v any) {
		b, _ := json.Marshal(v)
		fmt.Fprintf(w, "event: %s\ndata: %s\n\n", name, b)
	}
	start := map[string]any{}
	for k, v := range msg {
		start[k] = v
	}
	start["content"], start["stop_reason"] = []any{}, nil
	ev("message_start", map[string]any{"type": "message_start", "message": start})
	if use != nil {
		ev("content_block_start", map[string]any{"type": "content_block_start", "index": 0, "content_block": map[string]any{"type": "tool_use", "id": id, "name": use.Name, "input": map[string]any{}}})
		in, _ := json.Marshal(use.Input)
		ev("content_block_delta", map[string]any{"type": "content_block_delta", "index": 0, "delta": map[string]any{"type": "input_json_delta", "partial_json": string(in)}})
	} else {
		ev("content_block_start", map[string]any{"type": "content_block_start", "index": 0, "content_block": map[string]any{"type": "text", "text": ""}})
		ev("content_block_delta", map[string]any{"type": "content_block_delta", "index": 0, "delta": map[string]any{"type": "text_delta", "text": "done"}})
	}
	ev("content_block_stop", map[string]any{"type": "content_block_stop", "index": 0})
	ev("message_delta", map[string]any{"type": "message_delta", "delta": map[string]any{"stop_reason": stop, "stop_sequence": nil}, "usage": map[string]int{"output_tokens": 1}})
	ev("message_stop", map[string]any{"type": "message_stop"})
}

func (s *scriptedModel) record() ([][]string, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]string(nil), s.offered...), append([]string(nil), s.results...)
}

const bridgeCanary = "x-api-key-canary-7f6e5d4c3b2a"

// echoUpstream is the server being bridged, on loopback: one tool, echo,
// recording each call's arguments and X-Api-Key header.
type echoUpstream struct {
	URL   string
	mu    sync.Mutex
	calls []string
}

func newEchoUpstream(t *testing.T) *echoUpstream {
	t.Helper()
	u := &echoUpstream{}
	type in struct {
		Text string `json:"text"`
	}
	h := mcp.NewStreamableHTTPHandler(func(r *http.Request) *mcp.Server {
		s := mcp.NewServer(&mcp.Implementation{Name: "echo-upstream", Version: "1"}, nil)
		mcp.AddTool(s, &mcp.Tool{Name: "echo", Description: "Echo text back."}, func(_ context.Context, req *mcp.CallToolRequest, a in) (*mcp.CallToolResult, any, error) {
			u.mu.Lock()
			u.calls = append(u.calls, string(req.Params.Arguments)+" key="+r.Header.Get("X-Api-Key"))
			u.mu.Unlock()
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "echo: " + a.Text}}}, nil, nil
		})
		return s
	}, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	u.URL = "http://" + ln.Addr().String() + "/mcp"
	return u
}

func (u *echoUpstream) seen() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]string(nil), u.calls...)
}

// bridgeHome is a home whose ~/.claude.json configures the upstream (with
// its API key header) and whose session config is mcpmend alone: the
// session has skipped the upstream, as after a stuck needs-auth.
func bridgeHome(t *testing.T, upstreamURL string) (home, mcpConfig string) {
	t.Helper()
	home = t.TempDir()
	cfg := map[string]any{"mcpServers": map[string]any{"upstream": map[string]any{"type": "http", "url": upstreamURL,
		"headers": map[string]string{"X-Api-Key": bridgeCanary}}}}
	b, _ := json.Marshal(cfg)
	if err := os.WriteFile(filepath.Join(home, ".claude.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(home, ".claude"), 0o700); err != nil {
		t.Fatal(err)
	}
	mcpConfig = filepath.Join(home, "session-mcp.json")
	b, _ = json.Marshal(map[string]any{"mcpServers": map[string]any{"mcpmend": map[string]any{"command": binary, "args": []string{"serve"}}}})
	if err := os.WriteFile(mcpConfig, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return home, mcpConfig
}

// runClaudeStream runs one headless stream-json turn of a real Claude Code
// against the scripted model and returns its stdout.
func runClaudeStream(t *testing.T, claude, home, mcpConfig, apiURL, allowed string, turnEnded <-chan struct{}) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, claude, "-p", "--input-format", "stream-json", "--output-format", "stream-json", "--verbose",
		"--mcp-config", mcpConfig, "--strict-mcp-config", "--allowedTools", allowed)
	cmd.Dir = home
	cmd.Env = append(homeEnv(home), "ANTHROPIC_BASE_URL="+apiURL, "ANTHROPIC_API_KEY=sk-ant-test-not-a-key", "ENABLE_TOOL_SEARCH=false")
	// A second turn, sent once the first has ended, shows whether a client
	// that re-fetched too late for the first turn offers the tools later.
	pr, pw := io.Pipe()
	cmd.Stdin = pr
	go func() {
		fmt.Fprintln(pw, `{"type":"user","message":{"role":"user","content":"my upstream server is back; use it"}}`)
		select {
		case <-turnEnded:
			fmt.Fprintln(pw, `{"type":"user","message":{"role":"user","content":"try again"}}`)
			<-turnEnded
		case <-ctx.Done():
		}
		pw.Close()
	}()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("claude: %v\nstderr: %s\nstdout: %s", err, errb.String(), out.String())
	}
	return out.String()
}

// TestBridgeThroughRealClaudeCode: in one real Claude Code 2.1.328
// stream-json session, the scripted model calls bridge_server, the very
// next request offers the bridged tool, the model calls it, and the
// upstream receives the call with its arguments and the configured header.
func TestBridgeThroughRealClaudeCode(t *testing.T) {
	claude := npmBin(t, "claude")
	if p := os.Getenv("MCPMEND_TEST_CLAUDE"); p != "" {
		claude = p // to measure another version the same way
	}
	up := newEchoUpstream(t)
	home, mcpConfig := bridgeHome(t, up.URL)
	const bridged = "mcp__mcpmend__upstream__echo"
	model := newScriptedModel(t, func(offered map[string]bool, results []string) *toolUse {
		switch {
		case len(results) == 0 && offered["mcp__mcpmend__bridge_server"]:
			return &toolUse{Name: "mcp__mcpmend__bridge_server", Input: map[string]any{"name": "upstream"}}
		case len(results) == 1 && offered[bridged]:
			return &toolUse{Name: bridged, Input: map[string]any{"text": "hello through the bridge"}}
		}
		return nil
	})
	out := runClaudeStream(t, claude, home, mcpConfig, model.URL, "mcp__mcpmend__bridge_server,"+bridged, model.ended)
	offered, results := model.record()
	first := -1
	for i, o := range offered {
		if strings.Contains(strings.Join(o, " "), bridged) && first < 0 {
			first = i
		}
	}
	t.Logf("bridged tool first offered in model request %d of %d (request 1 is the one right after bridge_server)", first, len(offered))
	if len(offered) < 3 {
		t.Fatalf("the model was asked %d time(s), want at least 3 (bridge, bridged call, end)\nresults: %v\nstdout: %s", len(offered), results, out)
	}
	if !strings.Contains(strings.Join(offered[1], " "), bridged) {
		t.Errorf("the request right after bridge_server did not offer %s: %v", bridged, offered[1])
	}
	if strings.Contains(strings.Join(offered[0], " "), bridged) {
		t.Error("the bridged tool was offered before bridge_server ran")
	}
	calls := up.seen()
	if len(calls) != 1 || calls[0] != `{"text":"hello through the bridge"} key=`+bridgeCanary {
		t.Errorf("upstream calls: %v", calls)
	}
	if len(results) < 2 || !strings.Contains(results[1], "echo: hello through the bridge") {
		t.Errorf("tool results: %v", results)
	}
	if strings.Contains(results[0], bridgeCanary) || strings.Contains(out, bridgeCanary) {
		t.Error("the configured header value leaked into the session")
	}
}

// claudeVersionBin finds an installed Claude Code alias (integration/
// package.json: claude-code-2-1-119), or the path in env; it skips when
// neither is there.
func claudeVersionBin(t *testing.T, alias, env string) string {
	t.Helper()
	if p := os.Getenv(env); p != "" {
		return p
	}
	p, _ := filepath.Abs(filepath.Join("node_modules", alias, "bin", "claude.exe"))
	if _, err := os.Stat(p); err != nil {
		t.Skipf("%s is not installed (npm alias %s in integration/package.json, or set %s)", alias, alias, env)
	}
	return p
}

// TestBridgeNotOfferedTo2_1_119: Claude Code 2.1.119 does not re-fetch
// tools in -p/stream-json mode, so the diagnosis it gets does not offer the
// bridge and says the server returns in the next session.
func TestBridgeNotOfferedTo2_1_119(t *testing.T) {
	claude := claudeVersionBin(t, "claude-code-2-1-119", "MCPMEND_TEST_CLAUDE_2_1_119")
	up := newEchoUpstream(t)
	home, mcpConfig := bridgeHome(t, up.URL)
	model := newScriptedModel(t, func(offered map[string]bool, results []string) *toolUse {
		if len(results) == 0 && offered["mcp__mcpmend__diagnose"] {
			return &toolUse{Name: "mcp__mcpmend__diagnose", Input: map[string]any{"name": "upstream"}}
		}
		return nil
	})
	out := runClaudeStream(t, claude, home, mcpConfig, model.URL, "mcp__mcpmend__diagnose", model.ended)
	_, results := model.record()
	if len(results) != 1 {
		t.Fatalf("tool results: %v\nstdout: %s", results, out)
	}
	r := results[0]
	if !strings.Contains(r, `\"offered\":false`) && !strings.Contains(r, `"offered":false`) && !strings.Contains(r, "Bridge: not offered") {
		t.Errorf("2.1.119's diagnosis offers the bridge or says nothing about it: %s", r)
	}
	if strings.Contains(r, `"tool":"bridge_server"`) || strings.Contains(r, `\"tool\":\"bridge_server\"`) {
		t.Errorf("2.1.119 was offered bridge_server: %s", r)
	}
}

// TestBridgeEndsWithMcpmend: a bridged stdio server (here another mcpmend,
// run by a shell that records its pid and then lingers, as a server that
// does not exit on its own) is ended when the client's connection to
// mcpmend ends: its whole process group is.
func TestBridgeEndsWithMcpmend(t *testing.T) {
	home := t.TempDir()
	pidFile := filepath.Join(home, "upstream.pid")
	cfg := map[string]any{"mcpServers": map[string]any{"inner": map[string]any{"command": "sh",
		"args": []string{"-c", `echo $$ > "$0"; "$1" serve; sleep 300`, pidFile, binary}}}}
	b, _ := json.Marshal(cfg)
	if err := os.WriteFile(filepath.Join(home, ".claude.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	cs := connect(t, home)
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "bridge_server", Arguments: map[string]any{"name": "inner"}})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(res.StructuredContent)
	if !strings.Contains(string(out), `"status":"bridged"`) || !strings.Contains(string(out), `"inner__diagnose"`) {
		t.Fatalf("bridge: %s", out)
	}
	// The bridged mcpmend answers through the outer one.
	if r, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "inner__reset_status", Arguments: map[string]any{}}); err != nil || r.IsError {
		t.Fatalf("bridged call: %v %+v", err, r)
	}
	data, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid := strings.TrimSpace(string(data))
	if _, err := os.Stat("/proc/" + pid); err != nil {
		t.Skip("no /proc to watch the upstream process")
	}
	cs.Close()
	for i := 0; i < 100; i++ {
		if st, err := os.ReadFile("/proc/" + pid + "/stat"); err != nil || strings.Contains(string(st), ") Z ") {
			return // gone (or a zombie awaiting its parent)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Errorf("the bridged server (pid %s) outlived mcpmend's client connection by 10 s", pid)
}

// TestDiagnoseResetBridgeThroughRealClaudeCode: the whole cure in one real
// Claude Code 2.1.328 conversation. The upstream is healthy but Claude Code
// remembers a 401 (gate A), so the session skipped it: the scripted model
// diagnoses it (stale-needs-auth), resets it (the answer offers
// bridge_server, since this client re-fetches tools), bridges it and calls
// the bridged tool, which reaches the upstream with its arguments and the
// configured header.
func TestDiagnoseResetBridgeThroughRealClaudeCode(t *testing.T) {
	claude := npmBin(t, "claude")
	up := newEchoUpstream(t)
	home, mcpConfig := bridgeHome(t, up.URL)
	gate := fmt.Sprintf(`{"upstream":{"timestamp":%d}}`, time.Now().Add(-time.Minute).UnixMilli())
	if err := os.WriteFile(filepath.Join(home, ".claude", "mcp-needs-auth-cache.json"), []byte(gate), 0o600); err != nil {
		t.Fatal(err)
	}
	const bridged = "mcp__mcpmend__upstream__echo"
	model := newScriptedModel(t, func(offered map[string]bool, results []string) *toolUse {
		switch len(results) {
		case 0:
			return &toolUse{Name: "mcp__mcpmend__diagnose", Input: map[string]any{"name": "upstream"}}
		case 1:
			return &toolUse{Name: "mcp__mcpmend__reset_server_auth", Input: map[string]any{"name": "upstream"}}
		case 2:
			if strings.Contains(results[1], "bridge_server") {
				return &toolUse{Name: "mcp__mcpmend__bridge_server", Input: map[string]any{"name": "upstream"}}
			}
		case 3:
			if offered[bridged] {
				return &toolUse{Name: bridged, Input: map[string]any{"text": "after the reset"}}
			}
		}
		return nil
	})
	allowed := "mcp__mcpmend__diagnose,mcp__mcpmend__reset_server_auth,mcp__mcpmend__bridge_server," + bridged
	out := runClaudeStream(t, claude, home, mcpConfig, model.URL, allowed, model.ended)
	_, results := model.record()
	if len(results) < 4 {
		t.Fatalf("%d tool results, want 4 (diagnose, reset, bridge, bridged call): %v\nstdout: %s", len(results), results, out)
	}
	if !strings.Contains(results[0], "stale-needs-auth") {
		t.Errorf("diagnosis: %s", results[0])
	}
	// The reset's next is the bridge_server call (the model's view drops the
	// offer object that would repeat it).
	if !strings.Contains(results[1], `\"tool\":\"bridge_server\"`) && !strings.Contains(results[1], `"tool":"bridge_server"`) {
		t.Errorf("the reset does not offer the bridge to 2.1.328: %s", results[1])
	}
	if !strings.Contains(results[3], "echo: after the reset") {
		t.Errorf("bridged call result: %s", results[3])
	}
	if calls := up.seen(); len(calls) != 1 || calls[0] != `{"text":"after the reset"} key=`+bridgeCanary {
		t.Errorf("upstream calls: %v", calls)
	}
	if strings.Contains(out, bridgeCanary) {
		t.Error("the configured header value leaked into the session")
	}
}
