package probe

import (
	"context"
	"errors"
	"net/http"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpmend/mcpmend/registry"
)

// Conn is a live session with a configured server, dialled as its client
// would dial it (Dial). Close ends the session and, for a stdio server,
// every process it started.
type Conn struct {
	Session *mcp.ClientSession
	p       *prober
	close   func()
	once    sync.Once
}

// Scrub makes text from the server (an error, a description) safe to show:
// configured secret values and token-like strings are removed.
func (c *Conn) Scrub(s string) string { return c.p.scrub(s) }

// Close ends the session; it is idempotent.
func (c *Conn) Close() {
	c.once.Do(func() {
		_ = c.Session.Close()
		if c.close != nil {
			c.close()
		}
	})
}

// Dial connects client to s exactly as s's client would — the same command,
// arguments, environment and working directory, or the same URL, headers and
// headersHelper output, plus extra headers (a stored OAuth access token) —
// and returns the live session. It never changes anything on disk.
//
// On failure it returns nil and a probe Result saying why, as Probe would
// (the server is probed once more to classify the failure). The session
// outlives ctx: ctx bounds only the handshake, as does the client's startup
// timeout (or opts.Timeout when set), as for a probe.
func Dial(ctx context.Context, s registry.Server, opts Options, client *mcp.Client, extra http.Header) (*Conn, *Result) {
	opts = opts.withDefaults()
	p := newProber(s, opts)
	for _, vs := range extra {
		for _, v := range vs {
			p.addSecret(v)
		}
	}
	if unapproved(s) {
		r := Probe(ctx, s, opts)
		return nil, &r
	}
	hctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	var c *Conn
	var err error
	switch {
	case s.Transport == registry.Stdio && p.runsMCPRemote():
		// mcp-remote refreshes tokens (rotating the client's refresh
		// token), registers clients and opens a browser: never started
		// for a bridge; its remote is dialled directly.
		c, err = p.dialMCPRemote(hctx, client)
		if errors.Is(err, errStoredTokenExpired) {
			return nil, &Result{Name: s.Name, Client: s.Client, Scope: s.Scope, File: s.File, Transport: s.Transport, Target: target(s),
				Verdict: AuthRejected, Phase: PhaseConfig, Phases: []PhaseTiming{}, Summary: errStoredTokenExpired.Error()}
		}
	case s.Transport == registry.Stdio:
		c, err = p.dialStdio(hctx, client)
	case s.Transport == registry.HTTP, s.Transport == registry.SSE, s.Transport == registry.WS:
		c, err = p.dialRemote(hctx, client, extra)
	default:
		err = errors.New("transport " + string(s.Transport) + " is not one mcpmend can dial")
	}
	if err == nil {
		return c, nil
	}
	r := Probe(ctx, s, opts)
	if r.Verdict == OK {
		// It answers a probe but the session failed: say what failed.
		r.Verdict, r.Summary, r.Error = ProtocolError, "the server answered a probe but the session could not be opened", p.errText(err)
	}
	return nil, &r
}

// runsMCPRemote reports whether s's command line runs mcp-remote.
func (p *prober) runsMCPRemote() bool {
	_, ok := p.mcpRemote()
	return ok
}

// unapproved reports whether s's client would refuse to start or dial it;
// mcpmend never does either for such a server (Probe says why).
func unapproved(s registry.Server) bool {
	return s.Untrusted || s.Approval == registry.Pending || s.Approval == registry.Rejected
}

// dialStdio starts the server as Probe does, in its own process group,
// and keeps it running for the session.
func (p *prober) dialStdio(ctx context.Context, client *mcp.Client) (*Conn, error) {
	cmd, _, err := p.stdioCommand()
	if err != nil {
		return nil, err
	}
	sp := &stdioProc{cmd: cmd, stderr: newTail(stderrTailBytes), grace: p.opts.Grace, exited: make(chan struct{})}
	t := &timedTransport{inner: sp, log: newRPCLog(), wrap: true, onClose: sp.close}
	cs, end, err := connectFor(ctx, context.Background(), client, t)
	if err != nil {
		sp.close(nil)
		return nil, err
	}
	return &Conn{Session: cs, p: p, close: func() { end(); sp.close(nil) }}, nil
}

// dialRemote opens the configured URL with the configured headers (and the
// helper's), which are sent to the configured origin only.
func (p *prober) dialRemote(ctx context.Context, client *mcp.Client, extra http.Header) (*Conn, error) {
	u, headers, err := p.remoteConfig()
	if err != nil {
		return nil, err
	}
	if helper := p.s.Raw.HeadersHelper.Reveal(); helper != "" {
		got, err := p.runHelper(ctx, helper, u.String())
		if err != nil {
			return nil, err
		}
		for k, v := range got {
			headers.Set(k, v)
			p.addSecret(v)
		}
	}
	for k, vs := range extra {
		for _, v := range vs {
			headers.Set(k, v)
		}
	}
	base := http.DefaultTransport.(*http.Transport).Clone()
	hc := &http.Client{Transport: &headerTransport{base: base, origin: origin(u), headers: headers}}
	var t mcp.Transport
	life := context.Background()
	switch p.s.Transport {
	case registry.HTTP:
		q := &quietStream{base: hc.Transport, log: p.opts.Logger, scrub: p.scrub}
		hc.Transport, life = q, q.mark(life)
		// MaxEventSize said: go-sdk documents 0 as its 16 MiB default but
		// reads 0 as no bound, and a kept session has no body cap (its
		// stream is endless by design), so one endless event grew the
		// heap without end (TestBridgeEndlessEvent)
		t = &mcp.StreamableClientTransport{Endpoint: u.String(), HTTPClient: hc, MaxEventSize: mcp.DefaultMaxEventSize}
	case registry.SSE:
		t = &mcp.SSEClientTransport{Endpoint: u.String(), HTTPClient: hc}
	case registry.WS:
		t = &wsTransport{url: u.String(), client: hc}
	}
	cs, end, err := connectFor(ctx, life, client, t)
	if err != nil {
		base.CloseIdleConnections()
		return nil, err
	}
	return &Conn{Session: cs, p: p, close: func() { end(); base.CloseIdleConnections() }}, nil
}

// connectFor connects client over t with a context that lasts as long as
// the session (the SSE stream lives on the ctx given to Connect), made from
// base (its values: see quietStream.mark), while ctx bounds only the
// handshake. end cancels the session's context.
func connectFor(ctx, base context.Context, client *mcp.Client, t mcp.Transport) (*mcp.ClientSession, context.CancelFunc, error) {
	life, end := context.WithCancel(base)
	stop := context.AfterFunc(ctx, end)
	cs, err := client.Connect(life, t, nil)
	if !stop() || err != nil {
		end()
		if err == nil {
			_ = cs.Close()
			err = ctx.Err()
		}
		return nil, nil, err
	}
	return cs, end, nil
}

// headerTransport adds the configured headers to every request to the
// configured origin, and to no other (a redirect elsewhere gets none).
type headerTransport struct {
	base    http.RoundTripper
	origin  string
	headers http.Header
}

func (t *headerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if origin(req.URL) == t.origin {
		req = req.Clone(req.Context())
		for k, vs := range t.headers {
			req.Header[k] = append([]string(nil), vs...)
		}
	}
	return t.base.RoundTrip(req)
}
