package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"slices"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// A streamable HTTP server that predates the 2026-07-28 protocol answers
// the client's first request, server/discover, with an error, and the
// client then sends initialize: two round trips before the server can
// answer anything, so a slow server costs the probe twice its latency
// where Claude Code (which sends initialize straight away) pays once.
//
// The recorder therefore sends that initialize itself, speculatively, the
// moment server/discover leaves: the very request the SDK sends when it
// falls back (same URL, headers and body, id included; legacyProtocol is
// the version go-sdk falls back to). When the SDK's own initialize comes,
// it is compared with the speculative one and, only if they are equal,
// answered with the speculative response; otherwise it is sent as usual.
// Only a success is used that way: a failed answer (401, 5xx, …) is not,
// and the SDK's initialize is sent after all, so that a server that fails
// the first request only (a transient 401) is judged on the same requests
// in the same order as without speculation. So the verdict rests on the
// answer the server gives that initialize, and only the wait changes.
// When server/discover succeeds the speculative initialize is discarded:
// its session, if the server opened one, is ended with a DELETE while the
// probe goes on. A speculative answer that was not used stays in the
// evidence, marked speculative, for what it says about the server (a
// transient 401), and never decides a verdict (decisive skips it).
//
// Only streamable HTTP speculates: over stdio the two requests cross a
// pipe to a process that has already started, and over SSE and WebSocket
// the answer does not come back on the request.

// speculateInitialize turns the speculation on; only the benchmark turns
// it off, to time the probe without it side by side.
var speculateInitialize = true

// legacyProtocol is the protocol version go-sdk's Client.Connect puts in
// the initialize it sends after a failed server/discover. Should an SDK
// upgrade change it, the comparison refuses every speculation (the probe
// is as slow as before, never wrong) and TestSpeculativeInitialize fails.
const legacyProtocol = "2025-11-25"

// speculation is one speculative initialize.
type speculation struct {
	ex     Exchange // the server/discover's, to describe this request with
	req    *http.Request
	body   []byte
	cancel context.CancelFunc
	done   chan struct{} // closed once resp or err is set
	resp   *http.Response
	err    error
	took   time.Duration
}

// speculator is the recorder's part that speculates; the zero value does
// not (only a streamable HTTP probe turns it on).
type speculator struct {
	on      bool
	mu      sync.Mutex
	started bool           // one speculation per probe, on the first discover
	spec    *speculation   // started and not yet used or discarded
	all     []*speculation // every one started, to cancel at the end
	cleanup sync.WaitGroup
}

// cleanupWait bounds how long the end of a probe waits for a discarded
// speculation's DELETE.
const cleanupWait = 2 * time.Second

// speculate starts the initialize the SDK will send if the server/discover
// out (already carrying the configured headers) fails; body is out's body.
func (r *recorder) speculate(out *http.Request, body []byte, discover Exchange) {
	r.sp.mu.Lock()
	defer r.sp.mu.Unlock()
	if !r.sp.on || r.sp.started {
		return
	}
	r.sp.started = true
	specBody, ok := initializeAfter(body)
	if !ok {
		return
	}
	ctx, cancel := context.WithCancel(r.life)
	req := out.Clone(ctx)
	for _, h := range []string{"Mcp-Protocol-Version", "Mcp-Method", "Mcp-Name"} {
		req.Header.Del(h) // set for server/discover only: see setMCPHeaders in go-sdk
	}
	req.Body = io.NopCloser(bytes.NewReader(specBody))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(specBody)), nil }
	req.ContentLength = int64(len(specBody))
	discover.RPC, discover.Speculative = "initialize", true
	s := &speculation{ex: discover, req: req, body: specBody, cancel: cancel, done: make(chan struct{})}
	r.sp.spec = s
	r.sp.all = append(r.sp.all, s)
	go func() {
		start := time.Now()
		s.resp, s.err = r.base.RoundTrip(req)
		s.took = time.Since(start)
		close(s.done)
	}()
}

// initializeAfter builds the initialize go-sdk sends after the
// server/discover whose body is discover: the next request id, the client
// info it announced, and the capabilities, which must be empty (the
// probe's client announces none: a non-empty set is written differently
// in the two requests, so there is no speculation then).
func initializeAfter(discover []byte) ([]byte, bool) {
	msg, err := jsonrpc.DecodeMessage(discover)
	req, ok := msg.(*jsonrpc.Request)
	if err != nil || !ok {
		return nil, false
	}
	id, ok := req.ID.Raw().(int64)
	if !ok {
		return nil, false
	}
	var p struct {
		Meta struct {
			Info json.RawMessage            `json:"io.modelcontextprotocol/clientInfo"`
			Caps map[string]json.RawMessage `json:"io.modelcontextprotocol/clientCapabilities"`
		} `json:"_meta"`
	}
	if json.Unmarshal(req.Params, &p) != nil || len(p.Meta.Info) == 0 || len(p.Meta.Caps) != 0 {
		return nil, false
	}
	params, err := json.Marshal(struct {
		ProtocolVersion string          `json:"protocolVersion"`
		Capabilities    struct{}        `json:"capabilities"`
		ClientInfo      json.RawMessage `json:"clientInfo"`
	}{ProtocolVersion: legacyProtocol, ClientInfo: p.Meta.Info})
	if err != nil {
		return nil, false
	}
	next, err := jsonrpc.MakeID(float64(id + 1))
	if err != nil {
		return nil, false
	}
	data, err := jsonrpc.EncodeMessage(&jsonrpc.Request{ID: next, Method: "initialize", Params: params})
	return data, err == nil
}

// claim hands the SDK's initialize out (with its body) the speculative
// response when the two requests are the same and the server answered the
// speculative one with a success, waiting for it; ok is false when there
// is none to use, and out must be sent as usual.
func (r *recorder) claim(out *http.Request, body []byte) (resp *http.Response, err error, ok bool) {
	r.sp.mu.Lock()
	s := r.sp.spec
	r.sp.spec = nil
	r.sp.mu.Unlock()
	if s == nil {
		return nil, nil, false
	}
	if !sameRequest(s.req, s.body, out, body) {
		r.discard(s)
		return nil, nil, false
	}
	select {
	case <-s.done:
	case <-out.Context().Done():
		r.discard(s)
		return nil, out.Context().Err(), true
	}
	if s.err != nil || s.resp.StatusCode >= 300 {
		r.discard(s)
		r.sp.cleanup.Wait() // recorded before the client's own initialize
		return nil, nil, false
	}
	return s.resp, nil, true
}

// sameRequest reports whether two POSTs are the same request: URL,
// headers, and the JSON of the bodies.
func sameRequest(a *http.Request, aBody []byte, b *http.Request, bBody []byte) bool {
	if a.Method != b.Method || a.URL.String() != b.URL.String() || !reflect.DeepEqual(a.Header, b.Header) {
		return false
	}
	var av, bv any
	if json.Unmarshal(aBody, &av) != nil || json.Unmarshal(bBody, &bv) != nil {
		return false
	}
	return reflect.DeepEqual(av, bv)
}

// discoverAnswered is told server/discover's result (nil when it failed):
// once the server offers a protocol version of 2026-07-28 or later, the SDK
// will not send initialize, so the speculation is discarded now, while the
// probe goes on. (A stateful go-sdk server answers it, offering only older
// versions, and gets an initialize next.)
func (r *recorder) discoverAnswered(result json.RawMessage) {
	var res struct {
		Versions []string `json:"supportedVersions"`
	}
	if result == nil || json.Unmarshal(result, &res) != nil || !slices.ContainsFunc(res.Versions, func(v string) bool { return v >= modernProtocol }) {
		return
	}
	r.sp.mu.Lock()
	s := r.sp.spec
	r.sp.spec = nil
	r.sp.mu.Unlock()
	if s != nil {
		r.discard(s)
	}
}

// discard ends an unused speculation in the background: it waits for the
// answer and, when the server opened a session, ends it with a DELETE as a
// client closing a session does.
func (r *recorder) discard(s *speculation) {
	r.sp.cleanup.Go(func() {
		<-s.done
		if s.err != nil {
			return
		}
		e := s.ex
		e.MS = ms(s.took)
		r.describe(&e, s.req, s.resp)
		r.add(e, nil)
		io.Copy(io.Discard, io.LimitReader(s.resp.Body, endBodyKeep))
		s.resp.Body.Close()
		id := s.resp.Header.Get("Mcp-Session-Id")
		if id == "" {
			return
		}
		del := s.req.Clone(s.req.Context())
		del.Method, del.Body, del.GetBody, del.ContentLength = http.MethodDelete, nil, nil, 0
		del.Header.Del("Content-Type")
		del.Header.Set("Mcp-Session-Id", id)
		if resp, err := r.base.RoundTrip(del); err == nil {
			io.Copy(io.Discard, io.LimitReader(resp.Body, endBodyKeep))
			resp.Body.Close()
		}
	})
}

// endSpeculation is called when the probe's session is over: a speculation
// still unused is discarded, the DELETE of a discarded one gets up to
// cleanupWait, and then every speculative request still in flight is
// cancelled (the probe does not wait on a server that never answered it).
func (r *recorder) endSpeculation() {
	r.sp.mu.Lock()
	s, all := r.sp.spec, r.sp.all
	r.sp.spec, r.sp.all = nil, nil
	r.sp.mu.Unlock()
	if s != nil {
		select {
		case <-s.done:
		default:
			s.cancel() // unanswered while the whole session ran: no session to end
		}
		r.discard(s)
	}
	done := make(chan struct{})
	go func() { r.sp.cleanup.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(cleanupWait):
	}
	for _, s := range all {
		s.cancel()
	}
	<-done
}
