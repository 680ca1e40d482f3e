package bridge_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpmend/mcpmend/internal/wirelog"
	"github.com/mcpmend/mcpmend/registry"
	"github.com/mcpmend/mcpmend/tools/bridge"
)

// failingGETs are standalone GET streams that fail. Claude Code (2.1.328,
// measured: integration/TestProbeStreamAsClaudeCode) lists each such
// server as Connected and uses it; go-sdk's client failed the session on
// them, so a bridge to it failed too.
var failingGETs = map[string]http.HandlerFunc{
	"500": func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusInternalServerError)
	},
	"not-http": func(w http.ResponseWriter, r *http.Request) {
		c, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		defer c.Close()
		io.WriteString(c, "garbage\r\n\r\n")
	},
	"never": func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() },
	"json": func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, "{}")
	},
}

// upstreamWithGET serves upstreamServer over streamable HTTP on loopback,
// with GET requests (the standalone stream) answered by get. Its entry
// carries a canary credential in the URL and in a header.
func upstreamWithGET(t *testing.T, get http.HandlerFunc) registry.Server {
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return upstreamServer(nil) }, nil)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			get(w, r)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	// a canary in the URL and in a header: neither may reach a log
	s := registry.Server{Name: "up", Client: registry.ClaudeCode, Scope: "user", Transport: registry.HTTP, URL: ts.URL + "/mcp?token=REDACTED"}
	s.Raw.URL = registry.Secret(ts.URL + "/mcp?token=" + canary)
	s.Raw.Headers = []registry.Header{{Name: "X-Api-Key", Value: registry.Secret(canary)}}
	return s
}

// TestBridgeThroughAFailingStream: a server whose standalone GET stream
// fails is bridged, and its tools answer — as Claude Code uses
// it — and keep answering after the stream's failure.
func TestBridgeThroughAFailingStream(t *testing.T) {
	for name, get := range failingGETs {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var logs wirelog.Log
			up := upstreamWithGET(t, get)
			hs := newHarnessDial(t, up, dialerLogged(up, slog.New(slog.NewTextHandler(&logs, nil))), bridge.Options{})
			// a stream that never answers hung the mount for good: a
			// regression fails here, not at the binary's timeout
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			if r := hs.call(t, ctx, "mount", nil); r.IsError {
				t.Fatalf("mount: %s", textOf(r))
			}
			for i := range 3 {
				r := hs.call(t, context.Background(), "up__echo", map[string]any{"text": "hi"})
				if r.IsError || !strings.Contains(textOf(r), "hi") {
					t.Fatalf("call %d through the bridge: isError=%v %q", i, r.IsError, textOf(r))
				}
				time.Sleep(300 * time.Millisecond) // the stream's failure has come by now
			}
			if name != "never" && !strings.Contains(logs.String(), "GET stream is kept quiet") {
				t.Errorf("no line says why the stream is quiet:\n%s", logs.String())
			}
			if strings.Contains(logs.String(), canary) {
				t.Errorf("the configured header value is in the log:\n%s", logs.String())
			}
		})
	}
}

// TestBridgeHearsListChangedOnTheStream: the standalone stream still
// carries the upstream's notifications/tools/list_changed, and the bridge
// mounts the tool the upstream added.
func TestBridgeHearsListChangedOnTheStream(t *testing.T) {
	srv := upstreamServer(nil)
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv }, nil)
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	up := registry.Server{Name: "up", Client: registry.ClaudeCode, Scope: "user", Transport: registry.HTTP, URL: ts.URL}
	up.Raw.URL = registry.Secret(ts.URL)
	hs := newHarness(t, up, bridge.Options{})
	if r := hs.call(t, context.Background(), "mount", nil); r.IsError {
		t.Fatalf("mount: %s", textOf(r))
	}
	drain(hs.changed)
	srv.AddTool(&mcp.Tool{Name: "added", Description: "Added after the mount.", InputSchema: &jsonschema.Schema{Type: "object"}},
		func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "added answers"}}}, nil
		})
	waitFor(t, func() bool { return toolMap(t, hs.cs)["up__added"] != nil })
	if r := hs.call(t, context.Background(), "up__added", nil); r.IsError || textOf(r) != "added answers" {
		t.Errorf("the added tool through the bridge: isError=%v %q", r.IsError, textOf(r))
	}
}

// TestBridgeStreamThatKeepsEnding: a stream that opens and ends at once,
// again and again, without event ids, is reopened a few times and then
// kept quiet; go-sdk alone failed the session after its sixth end, and
// with it the bridge.
func TestBridgeStreamThatKeepsEnding(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	gets := 0
	count := func() int {
		mu.Lock()
		defer mu.Unlock()
		return gets
	}
	hs := newHarness(t, upstreamWithGET(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		gets++
		mu.Unlock()
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
	}), bridge.Options{})
	if r := hs.call(t, context.Background(), "mount", nil); r.IsError {
		t.Fatalf("mount: %s", textOf(r))
	}
	// go-sdk waits 1–2 s before each reopen: the first GET and three
	// reopens come in about 5 s, and none in the 4 s after them.
	for end := time.Now().Add(30 * time.Second); count() < 4 && time.Now().Before(end); {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(4 * time.Second)
	if n := count(); n != 4 {
		t.Errorf("%d GETs, want the first and 3 reopens", n)
	}
	if r := hs.call(t, context.Background(), "up__echo", map[string]any{"text": "still"}); r.IsError || !strings.Contains(textOf(r), "still") {
		t.Errorf("call after the stream went quiet: isError=%v %q", r.IsError, textOf(r))
	}
}
