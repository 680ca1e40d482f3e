package probe

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpmend/mcpmend/registry"
)

// TestStandaloneStreamAsClaudeCode: a server whose standalone GET stream
// fails is judged as Claude Code 2.1.328 judges it — Connected, its tools
// usable — not as go-sdk's client, which failed the session: a 500 on the
// stream was server_error, a reset protocol_error after retries, a stream
// whose headers never came a timeout. The failure is a note; a stream
// that never answers is not awaited (integration's
// TestProbeStreamAsClaudeCode runs the same servers past the real CLI).
func TestStandaloneStreamAsClaudeCode(t *testing.T) {
	for _, tt := range []struct {
		name string
		get  http.HandlerFunc
		note string // in a note; "" for none
	}{
		{"500-event-stream", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			w.WriteHeader(http.StatusInternalServerError)
		}, "GET stream for the server's own messages answered 500"},
		{"500-plain", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", http.StatusInternalServerError) }, "answered 500"},
		{"401", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="x"`)
			http.Error(w, "no", http.StatusUnauthorized)
		}, "answered 401"},
		{"200-html", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, "<html>")
		}, `content type "text/html"`},
		{"not-http", func(w http.ResponseWriter, r *http.Request) {
			// not a reset: the transport retries a GET reset on a reused
			// connection, so its error comes later than the handler's end
			c, _, _ := w.(http.Hijacker).Hijack()
			io.WriteString(c, "garbage\r\n\r\n")
			c.Close()
		}, "GET stream for the server's own messages failed"},
		{"never-answers", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }, ""},
		{"405", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusMethodNotAllowed) }, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := streamableHandler()
			// tools/list waits (at most 3 s) until the probe has the GET's
			// answer (the streamReturned hook), or until the GET came when
			// it is never answered: what the stream did is known before
			// the session ends however loaded the machine.
			got, once := make(chan struct{}), sync.Once{}
			srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodGet {
					if tt.name == "never-answers" {
						once.Do(func() { close(got) })
					}
					tt.get(w, r)
					return
				}
				if rpcMethod(r) == "tools/list" {
					select {
					case <-got:
					case <-time.After(3 * time.Second):
					}
				}
				h.ServeHTTP(w, r)
			}))
			opts := quick()
			opts.streamReturned = func() { once.Do(func() { close(got) }) }
			// a canary credential in the URL and a header: checkResult
			// finds it nowhere in the result, the stream's note included
			u := strings.Replace(srv.URL, "://", "://user:"+canary+"@", 1)
			r := Probe(context.Background(), remoteServer("s", registry.HTTP, u, "Authorization", "Bearer "+canary), opts)
			checkResult(t, r, OK)
			notes := strings.Join(r.Notes, "\n")
			if strings.Contains(notes, "first answered") {
				t.Errorf("notes %q: the stream is no transient failure of the session", notes)
			}
			if tt.note == "" && strings.Contains(notes, "GET stream") || tt.note != "" && (!strings.Contains(notes, tt.note) || !strings.Contains(notes, "Claude Code goes on without the stream")) {
				t.Errorf("notes %q, want %q", notes, tt.note)
			}
			get := false
			for _, e := range r.HTTP {
				get = get || e.Method == http.MethodGet
				if tt.name == "never-answers" && e.Method == http.MethodGet && e.Error != errNotAwaited.Error() {
					t.Errorf("the unanswered GET reads %q, want %q", e.Error, errNotAwaited)
				}
			}
			if !get {
				t.Errorf("no GET stream in the evidence %+v", r.HTTP)
			}
		})
	}
}

// streamLog is a server's view of the order of a probe's requests.
type streamLog struct {
	mu          sync.Mutex
	accepted    bool          // notifications/initialized arrived
	getEarly    bool          // a GET came before it
	getBeside   bool          // a GET came while tools/list was held
	get         chan struct{} // closed at the first GET
	deleted     chan struct{} // closed when the DELETE arrived
	releaseDel  chan struct{} // the DELETE is answered once this is closed
	toolsListed bool
}

// TestStreamBesideToolsListAndDeleteNotAwaited: the probe opens the GET
// stream only after notifications/initialized and has it in
// flight together with tools/list (the server holds tools/list until the
// GET arrives, or 3 s), and returns without the DELETE's answer — the
// server holds it until the probe is over — while the DELETE does reach
// the server. Asserted from what the server saw, not from timings.
func TestStreamBesideToolsListAndDeleteNotAwaited(t *testing.T) {
	l := &streamLog{get: make(chan struct{}), deleted: make(chan struct{}), releaseDel: make(chan struct{})}
	h := streamableHandler()
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		method := rpcMethod(r)
		if method == "notifications/initialized" {
			// on its arrival, not its answer: go-sdk's client sent the GET
			// before initialized
			l.mu.Lock()
			l.accepted = true
			l.mu.Unlock()
		}
		switch {
		case r.Method == http.MethodGet:
			l.mu.Lock()
			l.getEarly = l.getEarly || !l.accepted
			select {
			case <-l.get:
			default:
				close(l.get)
			}
			l.mu.Unlock()
		case r.Method == http.MethodDelete:
			close(l.deleted)
			select {
			case <-l.releaseDel:
			case <-r.Context().Done():
			}
		case method == "tools/list":
			select {
			case <-l.get:
				l.mu.Lock()
				l.getBeside = true
				l.mu.Unlock()
			case <-time.After(3 * time.Second):
			}
			l.mu.Lock()
			l.toolsListed = true
			l.mu.Unlock()
		}
		h.ServeHTTP(w, r)
	}))
	defer close(l.releaseDel)
	r := Probe(context.Background(), remoteServer("s", registry.HTTP, srv.URL), quick())
	checkResult(t, r, OK)
	l.mu.Lock()
	early, beside, listed := l.getEarly, l.getBeside, l.toolsListed
	l.mu.Unlock()
	if early || !beside || !listed {
		t.Errorf("GET before initialized was accepted: %v; GET in flight beside tools/list: %v (listed %v)", early, beside, listed)
	}
	select {
	case <-l.deleted:
	case <-time.After(5 * time.Second):
		t.Fatal("the DELETE never reached the server")
	}
	var del []Exchange
	for _, e := range r.HTTP {
		if e.Method == http.MethodDelete {
			del = append(del, e)
		}
	}
	if len(del) != 1 || !del[0].NotAwaited || del[0].Status != 0 {
		t.Errorf("DELETE exchanges %+v, want one, sent and not awaited", del)
	}
}

// blockingTransport never writes a request: it waits for its context,
// as a dial to a host that does not answer does.
type blockingTransport struct{}

func (blockingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	<-req.Context().Done()
	return nil, req.Context().Err()
}

// TestDeleteWaitEndsWithTheProbe: a DELETE that cannot even be written
// (its dial hangs) holds the probe no longer than the probe's own life,
// although its request lives on, bounded by deleteWait.
func TestDeleteWaitEndsWithTheProbe(t *testing.T) {
	life, cancel := context.WithCancel(context.Background())
	u, _ := url.Parse("http://127.0.0.1:1/mcp")
	rec := newRecorder(life, blockingTransport{}, u, http.Header{}, &prober{})
	rec.log = newRPCLog()
	req, _ := http.NewRequest(http.MethodDelete, u.String(), nil)
	done := make(chan error, 1)
	go func() {
		_, err := rec.RoundTrip(req)
		done <- err
	}()
	cancel()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("a DELETE never written was taken as sent")
		}
	case <-time.After(deleteWait / 2):
		t.Fatal("the DELETE held the probe after its end")
	}
	ex, _ := rec.exchanges()
	if len(ex) != 1 || ex[0].Method != http.MethodDelete || ex[0].Error == "" || ex[0].NotAwaited {
		t.Errorf("exchanges %+v, want the DELETE with its error", ex)
	}
}
