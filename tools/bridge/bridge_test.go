package bridge_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpmend/mcpmend/internal/wirelog"
	"github.com/mcpmend/mcpmend/registry"
	"github.com/mcpmend/mcpmend/tools/bridge"
	"github.com/mcpmend/mcpmend/tools/probe"
)

// The test binary doubles as a stdio upstream: with behaviourEnv set it
// serves upstreamServer on stdin/stdout instead of running the tests.
const behaviourEnv = "MCPMEND_BRIDGE_TEST_UPSTREAM"

func TestMain(m *testing.M) {
	if os.Getenv(behaviourEnv) != "" {
		if err := upstreamServer(nil).Run(context.Background(), &mcp.StdioTransport{}); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// seen is what the upstream observed.
type seen struct {
	mu        sync.Mutex
	args      []string
	headers   []string
	cancelled chan struct{}
}

func (s *seen) add(args string) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.args = append(s.args, args)
}

type echoIn struct {
	Text string `json:"text" jsonschema:"what to echo"`
	N    int64  `json:"n,omitempty"`
}
type echoOut struct {
	Echo string `json:"echo"`
	N    int64  `json:"n"`
}

// upstreamServer is the server being bridged: echo (structured output,
// annotations), fail (isError), slow (progress, waits for cancellation) and
// die (the process exits mid-call).
func upstreamServer(obs *seen) *mcp.Server {
	s := mcp.NewServer(&mcp.Implementation{Name: "upstream", Version: "1"}, nil)
	mcp.AddTool(s, &mcp.Tool{Name: "echo", Description: "Echo text back.", Title: "Echo",
		Annotations: &mcp.ToolAnnotations{ReadOnlyHint: true, OpenWorldHint: new(bool)}},
		func(_ context.Context, req *mcp.CallToolRequest, in echoIn) (*mcp.CallToolResult, echoOut, error) {
			obs.add(string(req.Params.Arguments))
			return nil, echoOut{Echo: in.Text, N: in.N}, nil
		})
	s.AddTool(&mcp.Tool{Name: "fail", Description: "Always fails.", InputSchema: &jsonschema.Schema{Type: "object"}},
		func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return &mcp.CallToolResult{IsError: true, Content: []mcp.Content{&mcp.TextContent{Text: "upstream says no"}}}, nil
		})
	s.AddTool(&mcp.Tool{Name: "slow", Description: "Reports progress, then waits.", InputSchema: &jsonschema.Schema{Type: "object"}},
		func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			if tok := req.Params.GetProgressToken(); tok != nil {
				for i := 1; i <= 2; i++ {
					_ = req.Session.NotifyProgress(ctx, &mcp.ProgressNotificationParams{ProgressToken: tok, Progress: float64(i), Total: 4, Message: fmt.Sprintf("step %d", i)})
				}
			}
			<-ctx.Done()
			if obs != nil && obs.cancelled != nil {
				close(obs.cancelled)
			}
			return nil, ctx.Err()
		})
	s.AddTool(&mcp.Tool{Name: "die", Description: "Exits mid-call.", InputSchema: &jsonschema.Schema{Type: "object"}},
		func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			os.Exit(7)
			return nil, nil
		})
	return s
}

const canary = "canary-secret-9f8e7d6c5b4a"

// httpUpstream serves upstreamServer on 127.0.0.1 and records the
// X-Api-Key header of every request.
func httpUpstream(t *testing.T, obs *seen) registry.Server {
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return upstreamServer(obs) }, nil)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		obs.mu.Lock()
		obs.headers = append(obs.headers, r.Header.Get("X-Api-Key"))
		obs.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	s := registry.Server{Name: "up", Client: registry.ClaudeCode, Scope: "user", Transport: registry.HTTP, URL: ts.URL}
	s.Raw.URL = registry.Secret(ts.URL)
	s.Raw.Headers = []registry.Header{{Name: "X-Api-Key", Value: registry.Secret(canary)}}
	return s
}

// stdioUpstream is this test binary as a stdio server.
func stdioUpstream(t *testing.T) registry.Server {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	s := registry.Server{Name: "up", Client: registry.ClaudeCode, Scope: "user", Transport: registry.Stdio, Command: self}
	s.Raw.Env = []registry.EnvVar{{Name: behaviourEnv, Value: "1"}}
	return s
}

func dialer(s registry.Server) bridge.Dialer { return dialerLogged(s, nil) }

// dialerLogged is dialer with the probe's diagnostics going to log.
func dialerLogged(s registry.Server, log *slog.Logger) bridge.Dialer {
	return func(ctx context.Context, client *mcp.Client) (*bridge.Upstream, error) {
		c, r := probe.Dial(ctx, s, probe.Options{Timeout: 10 * time.Second, Dir: os.TempDir(), Logger: log}, client, nil)
		if r != nil {
			return nil, errors.New(r.Summary)
		}
		return &bridge.Upstream{Session: c.Session, Scrub: c.Scrub, Close: c.Close}, nil
	}
}

// wire records the messages a client reads, in order.
type wire struct {
	mu   sync.Mutex
	msgs []string
}

func (w *wire) add(s string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, s)
}

func (w *wire) list() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.msgs...)
}

type recConn struct {
	mcp.Connection
	w *wire
}

func (c *recConn) Read(ctx context.Context) (jsonrpc.Message, error) {
	m, err := c.Connection.Read(ctx)
	switch v := m.(type) {
	case *jsonrpc.Request:
		c.w.add(v.Method)
	case *jsonrpc.Response:
		c.w.add(fmt.Sprintf("response %v", v.ID.Raw()))
	}
	return m, err
}

type recTransport struct {
	mcp.Transport
	w *wire
}

func (t *recTransport) Connect(ctx context.Context) (mcp.Connection, error) {
	c, err := t.Transport.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &recConn{c, t.w}, nil
}

// harness is mcpmend's side: a server with a Manager and a mount/stop tool
// pair, and a client standing in for Claude Code.
type harness struct {
	m        *bridge.Manager
	cs       *mcp.ClientSession
	wire     *wire
	progress chan *mcp.ProgressNotificationParams
	changed  chan struct{}
}

func newHarness(t *testing.T, up registry.Server, opts bridge.Options) *harness {
	t.Helper()
	return newHarnessDial(t, up, dialer(up), opts)
}

// newHarnessDial is newHarness with the bridge dialling up through dial.
func newHarnessDial(t *testing.T, up registry.Server, dial bridge.Dialer, opts bridge.Options) *harness {
	t.Helper()
	srv := mcp.NewServer(&mcp.Implementation{Name: "mcpmend", Version: "test"}, nil)
	h := &harness{m: bridge.NewManager(srv, opts), wire: &wire{}, progress: make(chan *mcp.ProgressNotificationParams, 10), changed: make(chan struct{}, 10)}
	key := bridge.Key{Server: up.Name, Client: up.Client, Scope: up.Scope}
	srv.AddTool(&mcp.Tool{Name: "mount", InputSchema: &jsonschema.Schema{Type: "object"}}, func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		res, err := h.m.Mount(ctx, key, req.Session, dial)
		if err != nil {
			return &mcp.CallToolResult{IsError: true, Content: []mcp.Content{&mcp.TextContent{Text: err.Error()}}}, nil
		}
		b, _ := json.Marshal(res)
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: string(b)}}}, nil
	})
	srv.AddTool(&mcp.Tool{Name: "stop", InputSchema: &jsonschema.Schema{Type: "object"}}, func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		names, ok := h.m.Stop(ctx, key)
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: fmt.Sprint(ok, names)}}}, nil
	})
	st, ct := mcp.NewInMemoryTransports()
	ss, err := srv.Connect(context.Background(), st, nil)
	if err != nil {
		t.Fatal(err)
	}
	client := mcp.NewClient(&mcp.Implementation{Name: "claude-code", Version: "2.1.328"}, &mcp.ClientOptions{
		ProgressNotificationHandler: func(_ context.Context, r *mcp.ProgressNotificationClientRequest) { h.progress <- r.Params },
		// Like Claude Code: re-fetch the list at once, without awaiting it.
		ToolListChangedHandler: func(ctx context.Context, r *mcp.ToolListChangedRequest) {
			h.changed <- struct{}{}
			go r.Session.ListTools(context.Background(), nil)
		},
	})
	h.cs, err = client.Connect(context.Background(), &recTransport{ct, h.wire}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		h.cs.Close()
		ss.Close()
		h.m.Close()
	})
	return h
}

func (h *harness) call(t *testing.T, ctx context.Context, name string, args any) *mcp.CallToolResult {
	t.Helper()
	res, err := h.cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return res
}

func textOf(r *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range r.Content {
		if t, ok := c.(*mcp.TextContent); ok {
			b.WriteString(t.Text)
		}
	}
	return b.String()
}

func toolMap(t *testing.T, cs *mcp.ClientSession) map[string]*mcp.Tool {
	t.Helper()
	res, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*mcp.Tool{}
	for _, tl := range res.Tools {
		out[tl.Name] = tl
	}
	return out
}

// TestMountNotifiesBeforeResultAndForwards: the client reads
// tools/list_changed before the mount call's own response; the bridged
// tools carry the upstream schemas and annotations with a prefixed
// description; a call reaches the upstream with its arguments and the
// configured header, and its result comes back unchanged.
func TestMountNotifiesBeforeResultAndForwards(t *testing.T) {
	obs := &seen{}
	var logs wirelog.Log
	h := newHarness(t, httpUpstream(t, obs), bridge.Options{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	defer func() {
		if strings.Contains(logs.String(), canary) {
			t.Error("the configured header value is in the log")
		}
	}()
	res := h.call(t, context.Background(), "mount", nil)
	if res.IsError {
		t.Fatalf("mount: %s", textOf(res))
	}
	msgs := h.wire.list()
	changed, resp := -1, -1
	for i, m := range msgs {
		if m == "notifications/tools/list_changed" && changed < 0 {
			changed = i
		}
		if strings.HasPrefix(m, "response ") {
			resp = i // the last response is the mount call's
		}
	}
	if changed < 0 || changed > resp {
		t.Fatalf("list_changed must be read before the mount result; wire order: %v", msgs)
	}
	if !strings.Contains(textOf(res), `"notified":true,"relisted":true`) {
		t.Errorf("mount result does not say the client was notified and re-listed: %s", textOf(res))
	}

	tools := toolMap(t, h.cs)
	echo := tools["up__echo"]
	if echo == nil {
		t.Fatalf("up__echo not listed: %v", tools)
	}
	if !strings.HasPrefix(echo.Description, `[bridged by mcpmend from the "up" MCP server`) || !strings.HasSuffix(echo.Description, "Echo text back.") {
		t.Errorf("description = %q", echo.Description)
	}
	if echo.Title != "Echo" || echo.Annotations == nil || !echo.Annotations.ReadOnlyHint || echo.Annotations.OpenWorldHint == nil || *echo.Annotations.OpenWorldHint {
		t.Errorf("title/annotations changed: %q %+v", echo.Title, echo.Annotations)
	}
	in, _ := json.Marshal(echo.InputSchema)
	out, _ := json.Marshal(echo.OutputSchema)
	if !strings.Contains(string(in), `"text"`) || !strings.Contains(string(in), `"required":["text"]`) || !strings.Contains(string(out), `"echo"`) {
		t.Errorf("schemas changed: in %s out %s", in, out)
	}
	for _, n := range []string{"up__fail", "up__slow", "up__die", "mount", "stop"} {
		if tools[n] == nil {
			t.Errorf("%s missing from the list", n)
		}
	}

	r := h.call(t, context.Background(), "up__echo", map[string]any{"text": "hi there", "n": 42})
	sc, _ := json.Marshal(r.StructuredContent)
	if r.IsError || string(sc) != `{"echo":"hi there","n":42}` || !strings.Contains(textOf(r), `"echo":"hi there"`) {
		t.Errorf("echo result: isError=%v structured=%s text=%q", r.IsError, sc, textOf(r))
	}
	obs.mu.Lock()
	args, headers := obs.args, obs.headers
	obs.mu.Unlock()
	if len(args) != 1 || args[0] != `{"n":42,"text":"hi there"}` {
		t.Errorf("upstream received arguments %v", args)
	}
	for _, hv := range headers {
		if hv != canary {
			t.Errorf("a request reached the upstream without the configured header: %q", hv)
		}
	}
	if f := h.call(t, context.Background(), "up__fail", nil); !f.IsError || textOf(f) != "upstream says no" {
		t.Errorf("isError result not passed through: %v %q", f.IsError, textOf(f))
	}
	for _, tl := range tools {
		if strings.Contains(tl.Description, canary) {
			t.Errorf("secret in %s's description", tl.Name)
		}
	}
	if got := h.m.Active(); len(got) != 1 || got[0].Server != "up" || len(got[0].Tools) != 4 {
		t.Errorf("Active() = %+v", got)
	}
}

// TestProgressAndCancellation: progress the upstream reports reaches the
// client under the client's own token; cancelling the call cancels it
// upstream.
func TestProgressAndCancellation(t *testing.T) {
	obs := &seen{cancelled: make(chan struct{})}
	h := newHarness(t, httpUpstream(t, obs), bridge.Options{})
	h.call(t, context.Background(), "mount", nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		p := &mcp.CallToolParams{Name: "up__slow", Arguments: map[string]any{}}
		p.SetProgressToken("client-token-1")
		_, err := h.cs.CallTool(ctx, p)
		done <- err
	}()
	for i := 1; i <= 2; i++ {
		select {
		case p := <-h.progress:
			if p.ProgressToken != "client-token-1" || p.Progress != float64(i) || p.Total != 4 || p.Message != fmt.Sprintf("step %d", i) {
				t.Errorf("progress %d = %+v", i, p)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no progress forwarded")
		}
	}
	cancel()
	select {
	case <-obs.cancelled:
	case <-time.After(10 * time.Second):
		t.Fatal("the upstream call was not cancelled")
	}
	if err := <-done; err == nil {
		t.Error("cancelled call returned no error")
	}
}

// TestUpstreamDiesMidCall: a stdio upstream that exits during a call
// answers a clear error, its tools are unmounted (list_changed), and a late
// call of one of them says the bridge ended.
func TestUpstreamDiesMidCall(t *testing.T) {
	h := newHarness(t, stdioUpstream(t), bridge.Options{})
	if r := h.call(t, context.Background(), "mount", nil); r.IsError {
		t.Fatal(textOf(r))
	}
	drain(h.changed)
	r := h.call(t, context.Background(), "up__die", nil)
	if !r.IsError || !strings.Contains(textOf(r), `bridged server "up"`) {
		t.Errorf("die: isError=%v %q", r.IsError, textOf(r))
	}
	select {
	case <-h.changed:
	case <-time.After(10 * time.Second):
		t.Fatal("no list_changed after the upstream died")
	}
	waitFor(t, func() bool { return toolMap(t, h.cs)["up__echo"] == nil })
	late := h.call(t, context.Background(), "up__echo", map[string]any{"text": "x"})
	if !late.IsError || !strings.Contains(textOf(late), "the server disconnected") {
		t.Errorf("late call: isError=%v %q", late.IsError, textOf(late))
	}
	if len(h.m.Active()) != 0 {
		t.Errorf("bridge still active: %+v", h.m.Active())
	}
}

// TestStopEndsUpstream: stop removes the tools and ends the upstream
// session; a call afterwards says the bridge was stopped.
func TestStopEndsUpstream(t *testing.T) {
	obs := &seen{}
	h := newHarness(t, httpUpstream(t, obs), bridge.Options{})
	h.call(t, context.Background(), "mount", nil)
	r := h.call(t, context.Background(), "stop", nil)
	if !strings.HasPrefix(textOf(r), "true [up__die up__echo up__fail up__slow]") {
		t.Errorf("stop: %q", textOf(r))
	}
	if toolMap(t, h.cs)["up__echo"] != nil {
		t.Error("up__echo still listed after stop")
	}
	if late := h.call(t, context.Background(), "up__echo", map[string]any{"text": "x"}); !late.IsError || !strings.Contains(textOf(late), "was stopped") {
		t.Errorf("call after stop: %q", textOf(late))
	}
}

func drain(c chan struct{}) {
	for {
		select {
		case <-c:
		case <-time.After(100 * time.Millisecond):
			return
		}
	}
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	for i := 0; i < 100; i++ {
		if ok() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("condition not met in 5 s")
}

// TestRemoteUpstreamGoneIsUnmounted: an HTTP upstream that goes away is
// noticed at the next call (its session does not end by itself): the call
// answers an error saying so, and the tools are removed.
func TestRemoteUpstreamGoneIsUnmounted(t *testing.T) {
	obs := &seen{}
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return upstreamServer(obs) }, nil)
	ts := httptest.NewServer(h)
	up := registry.Server{Name: "up", Client: registry.ClaudeCode, Scope: "user", Transport: registry.HTTP, URL: ts.URL}
	up.Raw.URL = registry.Secret(ts.URL)
	hs := newHarness(t, up, bridge.Options{})
	if r := hs.call(t, context.Background(), "mount", nil); r.IsError {
		t.Fatal(textOf(r))
	}
	ts.CloseClientConnections()
	ts.Close()
	r := hs.call(t, context.Background(), "up__echo", map[string]any{"text": "x"})
	if !r.IsError || !strings.Contains(textOf(r), "no longer answers") {
		t.Errorf("call to a gone upstream: isError=%v %q", r.IsError, textOf(r))
	}
	waitFor(t, func() bool { return toolMap(t, hs.cs)["up__echo"] == nil })
	if len(hs.m.Active()) != 0 {
		t.Errorf("bridge still active: %+v", hs.m.Active())
	}
}

// TestDialNeverStartsUntrusted: a server its client does not trust is
// neither started nor bridged; the answer says why.
func TestDialNeverStartsUntrusted(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "started")
	s := registry.Server{Name: "proj", Client: registry.ClaudeCode, Scope: "project", Transport: registry.Stdio, Command: "sh",
		Untrusted: true, TrustHint: "the folder is not trusted"}
	s.Raw.Args = []registry.Secret{"-c", registry.Secret("touch " + marker)}
	client := mcp.NewClient(&mcp.Implementation{Name: "t"}, nil)
	c, r := probe.Dial(context.Background(), s, probe.Options{Timeout: 5 * time.Second}, client, nil)
	if c != nil || r == nil || r.Verdict != probe.NotTrusted {
		t.Fatalf("untrusted server dialled: conn %v, result %+v", c != nil, r)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the untrusted command was run")
	}
}
