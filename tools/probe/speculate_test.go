package probe

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpmend/mcpmend/registry"
)

// overlapLog is a slow server's view of a probe: which requests it had in
// flight together. Every request waits d; server/discover and initialize
// also wait (at most hold) for each other to arrive, so that a speculative
// initialize is seen in flight beside server/discover however loaded the
// machine is, while a client that waits for discover's answer before
// sending initialize never overlaps the two.
type overlapLog struct {
	d, hold time.Duration

	mu       sync.Mutex
	inFlight map[string]int           // by JSON-RPC method, or HTTP method for a GET or DELETE
	came     map[string]chan struct{} // closed when the first discover, initialize arrives
	inits    int                      // initialize requests received
	overlaps int                      // of those, in flight together with a server/discover
	sessions []string                 // session ids initialize answers opened
	deleted  []string                 // session ids DELETE ended
}

func newOverlapLog(d, hold time.Duration) *overlapLog {
	return &overlapLog{d: d, hold: hold, inFlight: map[string]int{},
		came: map[string]chan struct{}{"server/discover": make(chan struct{}), "initialize": make(chan struct{})}}
}

// partner is the request each of the pair waits for.
var partner = map[string]string{"server/discover": "initialize", "initialize": "server/discover"}

func (l *overlapLog) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		what := rpcMethod(r)
		if what == "" {
			what = r.Method
		}
		l.mu.Lock()
		l.inFlight[what]++
		if what == "initialize" {
			l.inits++
		}
		if other, ok := partner[what]; ok {
			if l.inFlight[other] > 0 {
				l.overlaps++
			}
			select {
			case <-l.came[what]:
			default:
				close(l.came[what])
			}
		}
		if what == http.MethodDelete {
			l.deleted = append(l.deleted, r.Header.Get("Mcp-Session-Id"))
		}
		l.mu.Unlock()
		defer func() {
			l.mu.Lock()
			l.inFlight[what]--
			l.mu.Unlock()
		}()
		wait := time.After(l.d)
		if other, ok := partner[what]; ok {
			select {
			case <-l.came[other]:
			case <-time.After(l.hold):
			}
		}
		select {
		case <-wait:
		case <-r.Context().Done():
			return
		}
		next.ServeHTTP(sessionSpy{w, l, what, new(bool)}, r)
	})
}

// sessionSpy notes the session id an initialize answer opens.
type sessionSpy struct {
	http.ResponseWriter
	l     *overlapLog
	what  string
	wrote *bool
}

func (s sessionSpy) WriteHeader(code int) {
	if *s.wrote {
		return
	}
	*s.wrote = true
	if id := s.Header().Get("Mcp-Session-Id"); id != "" && s.what == "initialize" {
		s.l.mu.Lock()
		if !slices.Contains(s.l.sessions, id) {
			s.l.sessions = append(s.l.sessions, id)
		}
		s.l.mu.Unlock()
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s sessionSpy) Write(p []byte) (int, error) {
	s.WriteHeader(http.StatusOK) // as net/http does on a first Write
	return s.ResponseWriter.Write(p)
}

func (s sessionSpy) Flush() {
	s.WriteHeader(http.StatusOK) // as net/http does on a first Flush
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (l *overlapLog) snapshot() (inits, overlaps int, sessions, deleted []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.inits, l.overlaps, slices.Clone(l.sessions), slices.Clone(l.deleted)
}

// settled is snapshot once every session opened has been ended, or after
// 5 s: the probe returns as soon as its DELETE is sent (stream.go), so the
// server may read it a moment later.
func (l *overlapLog) settled() (inits, overlaps int, sessions, deleted []string) {
	for end := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		inits, overlaps, sessions, deleted = l.snapshot()
		if slices.Equal(deleted, sessions) || time.Now().After(end) {
			return
		}
	}
}

// TestSpeculativeInitialize: a slow streamable HTTP server costs the probe
// one round trip before it answers, not two. A server that makes the
// client send initialize after server/discover — one that answers it with
// "method not found", or a stateful go-sdk server, which answers it
// offering only protocol versions before 2026-07-28 — receives the probe's
// initialize while server/discover is still in flight, exactly once, and
// the probe's verdict and evidence are those of the two requests one after
// the other. A server that speaks 2026-07-28 (a stateless go-sdk server)
// gets the same speculative initialize, which opens no session there; the
// probe carries on with server/discover and the discarded initialize is
// in its evidence only as speculative. Asserted from what the server had in flight, not
// from timings.
func TestSpeculativeInitialize(t *testing.T) {
	const d, hold = 200 * time.Millisecond, 3 * time.Second
	for _, tt := range []struct {
		name      string
		h         http.Handler
		handshake string
		stepErr   string // in the server/discover step's error
	}{
		{"refused", refusingHandler("server/discover"), "initialize", ""},
		{"no-shared-version", streamableHandler(), "initialize", "without a shared modern protocol version"},
		{"modern", mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return testServer() }, &mcp.StreamableHTTPOptions{Stateless: true}), "server/discover", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l := newOverlapLog(d, hold)
			srv := serve(t, l.wrap(tt.h))
			r := Probe(context.Background(), remoteServer("slow", registry.HTTP, srv.URL), quick())
			checkResult(t, r, OK)
			if r.Server == nil || r.Server.Handshake != tt.handshake {
				t.Fatalf("handshake = %+v, want %s", r.Server, tt.handshake)
			}
			inits, overlaps, sessions, deleted := l.settled()
			if inits != 1 || overlaps != 1 {
				t.Errorf("the server received %d initialize, %d of them while server/discover was in flight; want exactly 1, overlapped", inits, overlaps)
			}
			// Every session an initialize opened is ended: by the probe's
			// client (legacy), or as the discarded speculation's (modern).
			if !slices.Equal(deleted, sessions) {
				t.Errorf("sessions opened %q, ended %q", sessions, deleted)
			}
			steps := phaseNamed(r, PhaseHandshake).Steps
			wantInit := 0
			if tt.handshake == "initialize" {
				wantInit = 1
				if len(steps) != 2 || steps[0].Method != "server/discover" || steps[0].Error == "" || !strings.Contains(steps[0].Error, tt.stepErr) || steps[1].Method != "initialize" || steps[1].Error != "" {
					t.Errorf("handshake steps = %+v, want server/discover (%s) then initialize", steps, tt.stepErr)
				}
			}
			if n := countRPC(r.HTTP, "initialize", false); n != wantInit {
				t.Errorf("the evidence has %d initialize exchanges, want %d", n, wantInit)
			}
			if n := countRPC(r.HTTP, "initialize", true); n != 1-wantInit {
				t.Errorf("the evidence has %d speculative initialize exchanges, want %d (the unused one)", n, 1-wantInit)
			}
		})
	}
}

// TestSpeculationEndsItsSession: a speculative initialize that a server
// answered with a session, and that the client then did not use, is ended
// with a DELETE carrying the configured headers.
func TestSpeculationEndsItsSession(t *testing.T) {
	l := newOverlapLog(0, 0)
	var auth []string
	var mu sync.Mutex
	h := l.wrap(streamableHandler())
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodDelete {
			mu.Lock()
			auth = append(auth, r.Header.Get("X-Api-Key"))
			mu.Unlock()
		}
		h.ServeHTTP(w, r)
	}))
	u, _ := url.Parse(srv.URL)
	rec := newRecorder(context.Background(), http.DefaultTransport, u, http.Header{"X-Api-Key": {"k"}}, &prober{})
	rec.sp.on = true
	discover := []byte(`{"jsonrpc":"2.0","id":1,"method":"server/discover","params":{"_meta":{"io.modelcontextprotocol/clientInfo":{"name":"t","version":"1"},"io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}`)
	req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(discover))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := rec.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	rec.sp.mu.Lock()
	all := rec.sp.all
	rec.sp.mu.Unlock()
	if len(all) != 1 {
		t.Fatalf("%d speculations, want 1", len(all))
	}
	<-all[0].done // answered (endSpeculation cancels one still unanswered)
	rec.endSpeculation()
	inits, _, sessions, deleted := l.snapshot()
	if inits != 1 || len(sessions) != 1 || !slices.Equal(deleted, sessions) {
		t.Fatalf("initialize %d, sessions %q, deleted %q: the unused speculation's session is not ended", inits, sessions, deleted)
	}
	if !slices.Equal(auth, []string{"k"}) {
		t.Errorf("the DELETE carried X-Api-Key %q, want the configured header", auth)
	}
}

func countRPC(ex []Exchange, method string, speculative bool) int {
	n := 0
	for _, e := range ex {
		if e.RPC == method && e.Speculative == speculative {
			n++
		}
	}
	return n
}

// TestSpeculationRefusedWhenDifferent: the speculative initialize answers
// only the very same request; any difference (here a header) sends the
// client's own.
func TestSpeculationRefusedWhenDifferent(t *testing.T) {
	a, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:1/mcp", nil)
	a.Header.Set("Accept", "application/json, text/event-stream")
	b := a.Clone(context.Background())
	body := []byte(`{"jsonrpc":"2.0","id":2,"method":"initialize","params":{"protocolVersion":"2025-11-25"}}`)
	if !sameRequest(a, body, b, []byte(`{"method":"initialize","id":2,"jsonrpc":"2.0","params":{"protocolVersion":"2025-11-25"}}`)) {
		t.Error("the same request, keys reordered, is refused")
	}
	b.Header.Set("Authorization", "Bearer x")
	if sameRequest(a, body, b, body) {
		t.Error("a request with another header is taken for the same")
	}
	if sameRequest(a, body, a, bytes.Replace(body, []byte(`"id":2`), []byte(`"id":3`), 1)) {
		t.Error("a request with another id is taken for the same")
	}
}
