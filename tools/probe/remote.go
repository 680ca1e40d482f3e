package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpmend/mcpmend/registry"
)

// remote probes an http, sse or ws server: the configured URL and headers
// (with headersHelper's output), through a recording RoundTripper.
func (p *prober) remote(ctx context.Context) {
	start := time.Now()
	u, headers, err := p.remoteConfig()
	p.phase(PhaseConfig, time.Since(start), err, nil)
	if err != nil {
		return
	}
	if helper := p.s.Raw.HeadersHelper.Reveal(); helper != "" {
		start = time.Now()
		got, err := p.runHelper(ctx, helper, u.String())
		p.phase(PhaseHelper, time.Since(start), err, nil)
		if err != nil {
			p.fail(PhaseHelper, HelperFailed, "headersHelper gave no headers, so the client connects without them", err)
			return
		}
		for k, v := range got {
			headers.Set(k, v) // the helper's output overrides configured headers
			p.addSecret(v)
		}
	}
	base := probeTransport(nil)
	defer base.CloseIdleConnections()
	rec := newRecorder(ctx, cappedTransport{base}, u, headers, p)
	hc := &http.Client{Transport: rec, CheckRedirect: rec.checkRedirect}
	log := newRPCLog()
	t := &timedTransport{log: log, wrap: true}
	switch p.s.Transport {
	case registry.HTTP:
		// The recorder opens the GET stream as Claude Code does (stream.go).
		t.inner, t.wrap, rec.log = &mcp.StreamableClientTransport{Endpoint: u.String(), HTTPClient: hc, DisableStandaloneSSE: true}, false, log
		rec.sp.on = speculateInitialize // initialize leaves beside server/discover (speculate.go)
		rec.client = hc
	case registry.SSE:
		// The SSE stream lives on the ctx given to Connect; the probe's ctx
		// spans every phase and is cancelled only when the probe ends.
		t.inner = &mcp.SSEClientTransport{Endpoint: u.String(), HTTPClient: hc}
	case registry.WS:
		t.inner = &wsTransport{url: u.String(), client: hc}
	}
	f := p.runSession(ctx, t)
	if note := rec.endStream(); note != "" && f == nil {
		p.note("%s", streamNote(note))
	}
	rec.endSpeculation()
	p.r.HTTP, _ = rec.exchanges()
	p.redirectNotes(rec)
	if f != nil {
		p.classifyRemote(ctx, f, rec, u)
		return
	}
	p.flakyNotes(rec)
}

// remoteConfig expands and checks the URL and headers.
func (p *prober) remoteConfig() (*url.URL, http.Header, error) {
	missing := map[string]bool{}
	exp := func(v string) string {
		if expands(p.s.Client) {
			return expandVars(v, p.env, missing)
		}
		return v
	}
	raw := exp(p.s.Raw.URL.Reveal())
	headers := http.Header{}
	for _, h := range p.s.Raw.Headers {
		v := exp(h.Value.Reveal())
		headers.Set(h.Name, v)
		p.addSecret(v) // any header may carry a key, whatever its name
	}
	// Credentials a variable put into the URL (userinfo, ?key=…).
	p.secrets = append(p.secrets, registry.Raw{URL: registry.Secret(raw)}.Secrets()...)
	if len(missing) > 0 {
		p.note("unset variables left as written, as the client leaves them: %s", strings.Join(sortedKeys(missing), ", "))
	}
	if strings.TrimSpace(raw) == "" {
		err := errors.New("no url configured")
		p.fail(PhaseConfig, ConfigError, "the entry has no url", err)
		return nil, nil, err
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	want := map[registry.Transport][]string{registry.HTTP: {"http", "https"}, registry.SSE: {"http", "https"}, registry.WS: {"ws", "wss"}}[p.s.Transport]
	switch {
	case err != nil:
		err = fmt.Errorf("url does not parse: %w", err)
	case u.Host == "":
		err = errors.New("url has no host")
	case u.Scheme != want[0] && u.Scheme != want[1]:
		err = fmt.Errorf("a %s server needs a %s:// or %s:// url, not %s://", p.s.Transport, want[0], want[1], u.Scheme)
	}
	if err != nil {
		p.fail(PhaseConfig, ConfigError, "the url cannot be dialled: "+err.Error(), err)
		return nil, nil, err
	}
	return u, headers, nil
}

// classifyRemote turns a failed session into a verdict from the recorded
// exchanges: the HTTP status is only text in the SDK's errors.
func (p *prober) classifyRemote(ctx context.Context, f *sessionFailure, rec *recorder, u *url.URL) {
	ex, rawErr, found := decisive(rec, p.s.Transport)
	var rpcErr *jsonrpc.Error
	switch {
	case found && ex.Error != "":
		if p.ctxVerdict(ctx, f.phase, rawErr) {
			return
		}
		if !p.netVerdict(f.phase, rawErr) {
			p.fail(f.phase, ProtocolError, fmt.Sprintf("%s failed: %s", where(ex), ex.Error), rawErr)
		}
	case p.ctxVerdict(ctx, f.phase, f.err):
	case found && ex.Status >= 300:
		p.statusVerdict(ctx, f, ex, u)
	case found && !mcpContentType(ex.ContentType):
		p.fail(f.phase, ProtocolError, fmt.Sprintf("%s answered %d with content type %q, not MCP (application/json or text/event-stream)", where(ex), ex.Status, ex.ContentType), f.err)
	case errors.As(f.err, &rpcErr):
		p.fail(f.phase, ProtocolError, fmt.Sprintf("the server answered %s with an error", f.phase), f.err)
	default:
		if p.netVerdict(f.phase, f.err) {
			return
		}
		p.fail(f.phase, ProtocolError, "the server's answer to "+f.phase+" is not valid MCP", f.err)
	}
}

// decisive picks the exchange that explains a failure: the last failing
// JSON-RPC request, else the last failing request of any kind. The
// optional standalone GET stream of streamable HTTP never decides (a
// client goes on without it, stream.go), nor does a body-less answer (202,
// 204, the DELETE that ends a session).
func decisive(rec *recorder, t registry.Transport) (Exchange, error, bool) {
	ex, errs := rec.exchanges()
	failing := func(e Exchange) bool {
		carries := e.Method != http.MethodDelete && e.Status != http.StatusAccepted && e.Status != http.StatusNoContent
		return e.Error != "" || e.Status >= 300 || e.Status >= 200 && e.Status < 300 && carries && !mcpContentType(e.ContentType)
	}
	for pass := 0; pass < 2; pass++ {
		for i := len(ex) - 1; i >= 0; i-- {
			e := ex[i]
			if e.Speculative {
				continue
			}
			if pass == 0 && t == registry.HTTP && e.RPC == "" {
				continue
			}
			if streamExchange(e, t) {
				continue
			}
			if failing(e) {
				return e, errs[i], true
			}
		}
	}
	return Exchange{}, nil, false
}

// Windows socket errors: syscall.ECONNREFUSED and friends are Unix
// numbers, and a refused connection on Windows is WSAECONNREFUSED (10061),
// which errors.Is(err, syscall.ECONNREFUSED) does not match. Compared by
// number so the classification is the same, and testable, everywhere.
const (
	wsaECONNRESET    = 10054
	wsaENETUNREACH   = 10051
	wsaECONNREFUSED  = 10061
	wsaEHOSTUNREACH  = 10065
	wsaETIMEDOUT     = 10060
	wsaEHOSTDOWN     = 10064
	wsaECONNABORTED  = 10053
	wsaENETDOWN      = 10050
	wsaEADDRNOTAVAIL = 10049
)

// errnoIs reports whether err wraps a syscall.Errno equal to one of the
// given Unix errnos or Windows socket error numbers.
func errnoIs(err error, unix []syscall.Errno, windows ...uintptr) bool {
	var no syscall.Errno
	if !errors.As(err, &no) {
		return false
	}
	for _, u := range unix {
		if no == u {
			return true
		}
	}
	for _, w := range windows {
		if uintptr(no) == w {
			return true
		}
	}
	return false
}

func refused(err error) bool {
	return errnoIs(err, []syscall.Errno{syscall.ECONNREFUSED}, wsaECONNREFUSED)
}

func noRoute(err error) bool {
	return errnoIs(err, []syscall.Errno{syscall.EHOSTUNREACH, syscall.ENETUNREACH, syscall.EHOSTDOWN, syscall.ENETDOWN, syscall.EADDRNOTAVAIL},
		wsaEHOSTUNREACH, wsaENETUNREACH, wsaEHOSTDOWN, wsaENETDOWN, wsaEADDRNOTAVAIL)
}

func reset(err error) bool {
	return errnoIs(err, []syscall.Errno{syscall.ECONNRESET, syscall.ECONNABORTED}, wsaECONNRESET, wsaECONNABORTED)
}

// afterConnect reports an error on a connection that was established (a
// read or write failed), as opposed to a failed dial.
func afterConnect(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && (op.Op == "read" || op.Op == "write")
}

// netVerdict classifies a transport error; false when it is none it knows
// (the caller then says protocol_error: nothing unclassified is ok).
func (p *prober) netVerdict(phase string, err error) bool {
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	var recErr tls.RecordHeaderError
	switch {
	case errors.As(err, &dnsErr):
		p.fail(phase, Unreachable, "the host name does not resolve: "+dnsErr.Name, err)
	case refused(err):
		p.fail(phase, Unreachable, "connection refused: nothing listens at that address", err)
	case noRoute(err):
		p.fail(phase, Unreachable, "no route to the host", err)
	case errnoIs(err, []syscall.Errno{syscall.ETIMEDOUT}, wsaETIMEDOUT):
		p.fail(phase, Unreachable, "the connection timed out: the host does not answer", err)
	case reset(err) && afterConnect(err):
		p.fail(phase, ProtocolError, "the server accepted the connection and reset it without an answer", err)
	case reset(err):
		p.fail(phase, Unreachable, "the connection was reset", err)
	case errors.Is(err, errBodyTooLarge), strings.Contains(fmt.Sprint(err), errBodyTooLarge.Error()):
		p.fail(phase, ProtocolError, "the server sent a response body larger than a probe reads (4 MB): an endless or runaway answer", err)
	case strings.Contains(fmt.Sprint(err), "server response headers exceeded"):
		p.fail(phase, ProtocolError, "the server sent more response headers than a client accepts", err)
	case strings.Contains(fmt.Sprint(err), "malformed HTTP"):
		p.fail(phase, ProtocolError, "the server does not speak HTTP on that port", err)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		p.fail(phase, ProtocolError, "the server closed the connection without an answer", err)
	case errors.As(err, &certErr), errors.As(err, &unknownAuth), errors.As(err, &hostErr), errors.As(err, &invalid):
		p.fail(phase, TLSError, "the server's TLS certificate is not trusted", err)
	case errors.As(err, &recErr):
		p.fail(phase, TLSError, "TLS handshake failed: the server does not speak TLS on that port (try http://)", err)
	case strings.Contains(fmt.Sprint(err), "tls:"), strings.Contains(fmt.Sprint(err), "x509:"):
		p.fail(phase, TLSError, "TLS handshake failed", err)
	default:
		return false
	}
	return true
}

// statusVerdict classifies an HTTP error status.
func (p *prober) statusVerdict(ctx context.Context, f *sessionFailure, ex Exchange, u *url.URL) {
	where := where(ex)
	switch s := ex.Status; {
	case s == http.StatusUnauthorized:
		auth := p.authEvidence(ctx, ex, u)
		if auth.CredentialsSent {
			p.fail(f.phase, AuthRejected, fmt.Sprintf("%s answered 401 although a credential was sent (%s): the server refused this credential", where, sentText(ex)), f.err)
		} else {
			p.fail(f.phase, AuthRequired, where+" answered 401: the server needs authentication and none is configured"+oauthText(auth.OAuth), f.err)
		}
	case s == http.StatusForbidden:
		auth := p.authEvidence(ctx, ex, u)
		if auth.Error == "insufficient_scope" {
			msg := where + " answered 403 insufficient_scope: the credential is valid but lacks a scope"
			if auth.Scope != "" {
				msg += " (needs " + auth.Scope + ")"
			}
			p.fail(f.phase, Forbidden, msg, f.err)
		} else {
			p.fail(f.phase, Forbidden, where+" answered 403 without insufficient_scope: the server refuses this client or credential outright", f.err)
		}
	case s == http.StatusNotFound || s == http.StatusGone:
		p.fail(f.phase, NotFound, fmt.Sprintf("%s answered %d: no MCP endpoint at that URL (check the path)", where, s), f.err)
	case s == http.StatusTooManyRequests:
		p.fail(f.phase, ServerError, where+" answered 429: the server is rate limiting", f.err)
	case s >= 500:
		p.fail(f.phase, ServerError, fmt.Sprintf("%s answered %d %s", where, s, http.StatusText(s)), f.err)
	case s >= 300 && s < 400:
		p.fail(f.phase, ProtocolError, fmt.Sprintf("%s answered %d redirecting to %s, which a client does not follow for a %s", where, s, ex.Location, ex.Method), f.err)
	default: // 400, 405, 406, 415…: usually the wrong transport for the URL
		p.fail(f.phase, ProtocolError, fmt.Sprintf("%s answered %d %s%s", where, s, http.StatusText(s), p.transportHint()), f.err)
	}
}

// where names the request an exchange was: "POST URL (initialize)".
func where(ex Exchange) string {
	w := ex.Method + " " + ex.URL
	if ex.RPC != "" {
		w += " (" + ex.RPC + ")"
	}
	return w
}

// transportHint suggests the other transport when a request was refused
// as malformed: an SSE endpoint configured as http, or the reverse, fails
// this way.
func (p *prober) transportHint() string {
	switch p.s.Transport {
	case registry.SSE:
		return `; if the URL is a streamable HTTP endpoint, configure "type": "http"`
	case registry.HTTP:
		return `; if the URL is an SSE endpoint, configure "type": "sse"`
	}
	return ""
}

// authEvidence parses the challenge and, for a 401 or a step-up 403, runs
// OAuth discovery as a timed phase.
func (p *prober) authEvidence(ctx context.Context, ex Exchange, u *url.URL) *AuthEvidence {
	a := &AuthEvidence{Status: ex.Status, CredentialsSent: ex.Credentials, HeadersSent: ex.HeadersSent}
	a.Challenges, a.Error, a.Scope = parseChallenges(ex.WWWAuthenticate)
	p.r.Auth = a
	if ex.Status == http.StatusForbidden && a.Error != "insufficient_scope" {
		return a
	}
	if ctx.Err() != nil {
		return a
	}
	start := time.Now()
	base := probeTransport(refuseMetadata)
	defer base.CloseIdleConnections()
	a.OAuth = p.discoverOAuth(ctx, &http.Client{Transport: cappedTransport{base}, Timeout: 5 * time.Second}, u, a.Challenges)
	var err error
	if !a.OAuth.Found && len(a.OAuth.Problems) > 0 {
		err = errors.New(a.OAuth.Problems[len(a.OAuth.Problems)-1])
	}
	p.phase(PhaseOAuth, time.Since(start), err, nil)
	return a
}

func sentText(ex Exchange) string {
	if len(ex.HeadersSent) > 0 {
		return "headers " + strings.Join(ex.HeadersSent, ", ")
	}
	return "credentials in the URL"
}

func oauthText(d *OAuthDiscovery) string {
	switch {
	case d == nil:
		return ""
	case d.Found && d.DynamicRegistration:
		return "; it offers OAuth with dynamic client registration, so the client can sign in (e.g. `claude mcp login`)"
	case d.Found && d.ClientIDMetadata:
		return "; it offers OAuth with client ID metadata documents"
	case d.Found && d.ConfiguredClientID:
		return "; it offers OAuth without dynamic registration, and the entry configures an oauth.clientId"
	case d.Found:
		return "; it offers OAuth but no dynamic client registration: configure oauth.clientId, or send a token in headers"
	default:
		return "; no OAuth metadata was found: configure a token in headers or headersHelper"
	}
}

// redirectNotes says when a redirect led to another origin, where the
// configured headers were therefore not sent.
func (p *prober) redirectNotes(rec *recorder) {
	ex, _ := rec.exchanges()
	for _, e := range ex {
		if e.Location == "" {
			continue
		}
		if lu, err := url.Parse(e.Location); err == nil && origin(lu) != rec.origin {
			p.note("%s redirected to another origin (%s); the configured headers were not sent there", e.URL, e.Location)
		}
	}
}

// flakyNotes flags a success that followed auth or server errors: the
// pattern that leaves clients stuck on "needs authentication" after a
// server's transient 401 (e.g. during a deploy).
func (p *prober) flakyNotes(rec *recorder) {
	ex, _ := rec.exchanges()
	for _, e := range ex {
		if streamExchange(e, p.s.Transport) {
			continue // the stream has its own note (stream.go)
		}
		if e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden || e.Status >= 500 {
			what := e.Method
			if e.RPC != "" {
				what = e.RPC
			}
			p.note("%s first answered %d, then the session succeeded: a client that met only that failure may remember the server as needing authentication (whether it does depends on the client, its version and the server's headers)", what, e.Status)
			return
		}
	}
}
