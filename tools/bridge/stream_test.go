package bridge_test

import (
	"bytes"
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

// mountOver serves h on loopback and mounts it, as the HTTP server "up"
// at path, in a new harness.
func mountOver(t *testing.T, h http.Handler, path string) *harness {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	up := registry.Server{Name: "up", Client: registry.ClaudeCode, Scope: "user", Transport: registry.HTTP, URL: ts.URL + path}
	up.Raw.URL = registry.Secret(ts.URL + path)
	hs := newHarness(t, up, bridge.Options{})
	if r := hs.call(t, context.Background(), "mount", nil); r.IsError {
		t.Fatalf("mount: %s", textOf(r))
	}
	return hs
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
			// the calls come after the stream's failure is logged, so they
			// prove the bridge answers once it has failed
			for end := time.Now().Add(15 * time.Second); name != "never" && !strings.Contains(logs.String(), "GET stream failed"); {
				if time.Now().After(end) {
					t.Fatalf("no line says why the stream is quiet:\n%s", logs.String())
				}
				time.Sleep(20 * time.Millisecond)
			}
			for i := range 3 {
				r := hs.call(t, context.Background(), "up__echo", map[string]any{"text": "hi"})
				if r.IsError || !strings.Contains(textOf(r), "hi") {
					t.Fatalf("call %d through the bridge: isError=%v %q", i, r.IsError, textOf(r))
				}
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
	hs := mountOver(t, mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv }, nil), "")
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

// TestBridgeEndlessEvent: an event on the stream that never ends is read
// no further than go-sdk's 16 MiB bound (the session then fails and the
// bridge is unmounted), instead of being buffered for as long as it goes.
func TestBridgeEndlessEvent(t *testing.T) {
	t.Parallel()
	const endless = 256 << 20
	sent := make(chan int64, 1)
	up := upstreamWithGET(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: ")
		chunk := []byte(strings.Repeat("x", 64<<10))
		var n int64
		for n < endless {
			k, err := w.Write(chunk)
			n += int64(k)
			if err != nil {
				break
			}
		}
		sent <- n
		<-r.Context().Done()
	})
	hs := newHarness(t, up, bridge.Options{})
	if r := hs.call(t, context.Background(), "mount", nil); r.IsError {
		t.Fatalf("mount: %s", textOf(r))
	}
	select {
	case n := <-sent:
		if n >= endless {
			t.Errorf("the client read all %d MiB of one event", n>>20)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the endless event is still being read after 60 s")
	}
	waitFor(t, func() bool { return len(hs.m.Active()) == 0 })
}

// TestBridgeStreamBehindARedirect: a server whose endpoint redirects (as
// Starlette does for a trailing slash) has its stream followed there, as
// go-sdk's client follows it, and list_changed still arrives.
func TestBridgeStreamBehindARedirect(t *testing.T) {
	t.Parallel()
	srv := upstreamServer(nil)
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv }, nil)
	mux := http.NewServeMux()
	mux.HandleFunc("/mcp", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/mcp/", http.StatusTemporaryRedirect)
	})
	mux.Handle("/mcp/", h)
	hs := mountOver(t, mux, "/mcp")
	srv.AddTool(&mcp.Tool{Name: "added", InputSchema: &jsonschema.Schema{Type: "object"}},
		func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return &mcp.CallToolResult{}, nil
		})
	waitFor(t, func() bool { return toolMap(t, hs.cs)["up__added"] != nil })
}

// TestBridgeCallResumptionIsGoSDKs: go-sdk resumes a call whose streamed
// answer was cut with a GET of its own (Last-Event-ID); that GET is not the
// standalone stream, and the call fails with what the server answered it,
// as without the bridge (taken for the standalone stream, it was answered
// with an empty stream, and the call ended "without response", or hung).
func TestBridgeCallResumptionIsGoSDKs(t *testing.T) {
	t.Parallel()
	srv := upstreamServer(nil)
	srv.AddTool(&mcp.Tool{Name: "slowish", InputSchema: &jsonschema.Schema{Type: "object"}},
		func(ctx context.Context, _ *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			time.Sleep(800 * time.Millisecond)
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "done"}}}, nil
		})
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv },
		&mcp.StreamableHTTPOptions{EventStore: mcp.NewMemoryEventStore(nil)})
	var cut sync.Once
	resumed := make(chan struct{}, 8)
	hs := mountOver(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodGet && r.Header.Get("Last-Event-ID") != "":
			resumed <- struct{}{}
			w.WriteHeader(http.StatusInternalServerError)
		case r.Method == http.MethodPost && callsTool(r, "slowish"):
			cutNow := false
			cut.Do(func() { cutNow = true })
			if cutNow { // a proxy cuts the streamed answer
				ctx, cancel := context.WithTimeout(r.Context(), 200*time.Millisecond)
				defer cancel()
				r = r.WithContext(ctx)
			}
			h.ServeHTTP(w, r)
		default:
			h.ServeHTTP(w, r)
		}
	}), "")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := hs.cs.CallTool(ctx, &mcp.CallToolParams{Name: "up__slowish", Arguments: map[string]any{}})
	switch {
	case err != nil:
		t.Fatalf("the call did not end with the failed resumption: %v", err)
	case len(resumed) == 0:
		t.Fatalf("go-sdk never resumed the cut answer (result %q): the test's premise is gone", textOf(res))
	case !res.IsError || !strings.Contains(textOf(res), "Internal Server Error"):
		t.Errorf("a call whose resumption was answered 500 answered %q, not the server's error", textOf(res))
	}
}

// callsTool reports whether r is a tools/call of name (its body is kept).
func callsTool(r *http.Request, name string) bool {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	return bytes.Contains(body, []byte(`"tools/call"`)) && bytes.Contains(body, []byte(`"name":"`+name+`"`))
}
