package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcpmend/mcpmend/registry"
)

// Exchange is one HTTP request and its response: the evidence behind an
// HTTP verdict. Only names of headers appear, never values.
type Exchange struct {
	Method          string   `json:"method"`
	URL             string   `json:"url"`           // redacted
	RPC             string   `json:"rpc,omitempty"` // the JSON-RPC method a POST carried
	Status          int      `json:"status,omitempty"`
	ContentType     string   `json:"content_type,omitempty"`
	WWWAuthenticate []string `json:"www_authenticate,omitempty"`
	Location        string   `json:"location,omitempty"`     // redirect target, redacted
	HeadersSent     []string `json:"headers_sent,omitempty"` // configured headers sent with it
	Credentials     bool     `json:"credentials_sent"`       // an Authorization header or configured credential went with it
	Error           string   `json:"error,omitempty"`        // transport error, scrubbed
	MS              float64  `json:"ms"`
	// Speculative marks an initialize sent beside server/discover whose
	// answer the client did not use (speculate.go): what the server said,
	// never what a verdict rests on.
	Speculative bool `json:"speculative,omitempty"`
	// NotAwaited marks the DELETE that ends a session: sent, its answer
	// not waited for (stream.go).
	NotAwaited bool `json:"not_awaited,omitempty"`
}

// Outcome is what came of the request in a few words: its transport error,
// "sent, answer not awaited", or its status code.
func (e Exchange) Outcome() string {
	switch {
	case e.Error != "":
		return e.Error
	case e.NotAwaited:
		return "sent, answer not awaited"
	}
	return strconv.Itoa(e.Status)
}

// recorder is the probe's http.RoundTripper. It adds the configured headers
// — only to requests for the configured origin, so a redirect to another
// host never carries them, as Claude Code does — and records every response.
type recorder struct {
	base         http.RoundTripper
	origin       string              // origin of the configured URL
	headers      http.Header         // configured headers, helper output included
	credURL      bool                // the configured URL itself carries credentials
	credHdrs     bool                // some configured header is a credential
	log          *rpcLog             // streamable HTTP: times JSON-RPC calls (nil otherwise)
	life         context.Context     // the probe's context: ends every request with it
	scrub        func(string) string // configured secrets and token-like strings
	scrubSecrets func(string) string // configured secrets only
	sp           speculator          // streamable HTTP: initialize sent beside server/discover
	client       *http.Client        // streamable HTTP: sends the standalone GET stream (stream.go)
	st           stream              // streamable HTTP: the standalone GET stream
	streamHook   func()              // Options.streamReturned

	mu   sync.Mutex
	ex   []Exchange
	errs []error // raw transport errors, parallel to ex
}

func newRecorder(life context.Context, base http.RoundTripper, u *url.URL, headers http.Header, p *prober) *recorder {
	r := &recorder{life: life, base: base, origin: origin(u), headers: headers, scrub: p.scrub,
		scrubSecrets: func(s string) string { return registry.Scrub(s, p.secrets...) },
		streamHook:   p.opts.streamReturned}
	r.credURL = u.User != nil
	for k := range u.Query() {
		r.credURL = r.credURL || registry.IsSecretName(k)
	}
	for k := range headers {
		r.credHdrs = r.credHdrs || isCredentialHeader(k)
	}
	return r
}

// isCredentialHeader reports whether a configured header carries a
// credential: Authorization or anything named like a key or token.
func isCredentialHeader(name string) bool {
	return strings.EqualFold(name, "Authorization") || registry.IsSecretName(name)
}

// origin is scheme://host:port with the default port made explicit; ws and
// wss count as http and https (their handshake is an HTTP request).
func origin(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	switch scheme {
	case "ws":
		scheme = "http"
	case "wss":
		scheme = "https"
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[scheme]
	}
	return scheme + "://" + strings.ToLower(u.Hostname()) + ":" + port
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	// No request outlives the probe: the SDK sends some requests on
	// contexts detached from the caller's (a streamable POST keeps going
	// after its call times out), so each is also bound to the probe's life.
	out := req.Clone(within(req.Context(), r.life))
	e := Exchange{Method: req.Method, URL: registry.RedactURL(req.URL.String())}
	same := origin(req.URL) == r.origin
	if same {
		for k, vs := range r.headers {
			// The transport's own headers win over configured ones, as in
			// Claude Code (it copies the SDK's headers over its own).
			if out.Header.Get(k) == "" {
				out.Header[k] = vs
				e.HeadersSent = append(e.HeadersSent, k)
			}
		}
	}
	e.Credentials = out.Header.Get("Authorization") != "" || same && (r.credHdrs || r.credURL)
	var id jsonrpc.ID
	var body []byte
	e.RPC, id, body = peekRPC(req)
	if r.log != nil && id.IsValid() {
		r.log.start(id, e.RPC)
	}
	if r.log != nil && req.Method == http.MethodDelete {
		return r.sendDelete(out, e)
	}
	start := time.Now()
	var resp *http.Response
	var err error
	claimed := false
	if e.RPC == "initialize" {
		resp, err, claimed = r.claim(out, body)
	}
	if !claimed {
		if e.RPC == "server/discover" {
			r.speculate(out, body, e)
		}
		resp, err = r.base.RoundTrip(out)
	}
	e.MS = ms(time.Since(start))
	if err != nil {
		e.Error = r.scrub(err.Error())
		if errors.Is(context.Cause(out.Context()), errNotAwaited) {
			e.Error = errNotAwaited.Error()
		}
		if r.log != nil && id.IsValid() {
			r.log.end(id, e.Error)
		}
		r.add(e, err)
		return nil, err
	}
	r.describe(&e, req, resp)
	if r.log != nil && id.IsValid() {
		b := &endBody{ReadCloser: resp.Body}
		rpc := e.RPC
		b.end = func() {
			errText := ""
			var result json.RawMessage
			if resp.StatusCode >= 300 {
				errText = resp.Status
			} else {
				var rpcErr string
				result, rpcErr, _ = rpcAnswer(e.ContentType, b.seen.Bytes(), id)
				errText = r.scrub(rpcErr)
			}
			r.log.end(id, errText)
			if rpc == "server/discover" {
				r.discoverAnswered(result)
			}
		}
		if mt, _, _ := mime.ParseMediaType(e.ContentType); mt == "text/event-stream" && (rpc == "server/discover" || rpc == "initialize") {
			// go-sdk hands on the answer once its event is read, before the
			// stream's end: the step ends with the answer, not with the
			// body, or a handshake that went on without waiting for the
			// end (the speculative initialize) found it "no answer"
			b.answered = func(seen []byte) bool { _, _, ok := rpcAnswer(e.ContentType, seen, id); return ok }
		}
		resp.Body = b
	}
	r.add(e, nil)
	if r.log != nil && e.RPC == "notifications/initialized" && resp.StatusCode >= 200 && resp.StatusCode < 300 {
		r.openStream(req)
	}
	return resp, nil
}

// describe records resp's status and headers in e.
func (r *recorder) describe(e *Exchange, req *http.Request, resp *http.Response) {
	e.Status = resp.StatusCode
	e.ContentType = inert(r.scrubSecrets(resp.Header.Get("Content-Type")), false)
	for _, v := range resp.Header.Values("WWW-Authenticate") {
		// A challenge is the server's, not a credential: only configured
		// secrets are removed (RedactText would eat `Bearer realm=…`).
		e.WWWAuthenticate = append(e.WWWAuthenticate, inert(r.scrubSecrets(v), false))
	}
	if loc := resp.Header.Get("Location"); loc != "" {
		if lu, err := req.URL.Parse(loc); err == nil {
			loc = lu.String()
		}
		e.Location = inert(registry.RedactURL(loc), false)
	}
}

func (r *recorder) add(e Exchange, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ex = append(r.ex, e)
	r.errs = append(r.errs, err)
}

// exchanges returns a copy of what was recorded, with the raw errors.
func (r *recorder) exchanges() ([]Exchange, []error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Exchange(nil), r.ex...), append([]error(nil), r.errs...)
}

// checkRedirect follows redirects as Claude Code does: a GET anywhere
// (http or https), any other method only on a 307/308 to the same origin;
// otherwise the redirect itself is the answer.
func (r *recorder) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return http.ErrUseLastResponse
	}
	first := via[0]
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return http.ErrUseLastResponse
	}
	if first.Method == http.MethodGet {
		return nil
	}
	code := 0
	if req.Response != nil {
		code = req.Response.StatusCode
	}
	if (code == http.StatusTemporaryRedirect || code == http.StatusPermanentRedirect) && origin(req.URL) == r.origin {
		return nil
	}
	return http.ErrUseLastResponse
}

// peekRPC reads the JSON-RPC method and id from a POST body without
// consuming it, and returns the body.
func peekRPC(req *http.Request) (string, jsonrpc.ID, []byte) {
	if req.Method != http.MethodPost || req.GetBody == nil {
		return "", jsonrpc.ID{}, nil
	}
	body, err := req.GetBody()
	if err != nil {
		return "", jsonrpc.ID{}, nil
	}
	defer body.Close()
	data, err := io.ReadAll(io.LimitReader(body, 1<<20))
	if err != nil || !bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")) {
		return "", jsonrpc.ID{}, nil
	}
	msg, err := jsonrpc.DecodeMessage(data)
	if err != nil {
		return "", jsonrpc.ID{}, nil
	}
	if rq, ok := msg.(*jsonrpc.Request); ok {
		return rq.Method, rq.ID, data
	}
	return "", jsonrpc.ID{}, nil
}

// endBody calls end once, when the body is read to its end or closed, and
// keeps the start of what was read for it.
type endBody struct {
	io.ReadCloser
	once sync.Once
	end  func()
	seen bytes.Buffer
	// answered, when set, reports whether seen holds the answer: end is
	// then called at once, at the end of the event that carried it.
	answered func(seen []byte) bool
}

// endBodyKeep bounds what endBody keeps: enough for any handshake answer.
const endBodyKeep = 256 << 10

func (b *endBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if room := endBodyKeep - b.seen.Len(); room > 0 {
		b.seen.Write(p[:min(n, room)])
	}
	if err != nil || b.answered != nil && eventEnds(p[:n]) && b.answered(b.seen.Bytes()) {
		b.once.Do(b.end)
	}
	return n, err
}

// eventEnds reports whether p holds the blank line that ends a server-sent
// event (one split across two reads is found at the body's end instead).
func eventEnds(p []byte) bool {
	return bytes.Contains(p, []byte("\n\n")) || bytes.Contains(p, []byte("\n\r\n")) || bytes.Contains(p, []byte("\r\r"))
}

func (b *endBody) Close() error {
	b.once.Do(b.end)
	return b.ReadCloser.Close()
}

// mcpContentType reports whether a 2xx response's content type can carry
// MCP messages.
func mcpContentType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == "application/json" || mt == "text/event-stream")
}

// rpcAnswer finds the JSON-RPC response to id in a streamable HTTP body
// (plain JSON or server-sent events): its result, or its error message,
// and whether it was there.
// The status of a server/discover a server does not support is 200; only
// the body says it failed.
func rpcAnswer(contentType string, body []byte, id jsonrpc.ID) (result json.RawMessage, errText string, found bool) {
	var payloads [][]byte
	if mt, _, _ := mime.ParseMediaType(contentType); mt == "text/event-stream" {
		for _, line := range bytes.Split(body, []byte("\n")) {
			if d, ok := bytes.CutPrefix(bytes.TrimRight(line, "\r"), []byte("data:")); ok {
				payloads = append(payloads, bytes.TrimSpace(d))
			}
		}
	} else {
		payloads = [][]byte{body}
	}
	for _, d := range payloads {
		msg, err := jsonrpc.DecodeMessage(d)
		if err != nil {
			continue
		}
		if resp, ok := msg.(*jsonrpc.Response); ok && idKey(resp.ID) == idKey(id) {
			if resp.Error != nil {
				return nil, resp.Error.Error(), true
			}
			return resp.Result, "", true
		}
	}
	return nil, "", false
}
