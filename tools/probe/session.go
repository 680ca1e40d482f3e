package probe

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// maxToolNames is how many tool names a result lists.
const maxToolNames = 10

// maxToolPages bounds tools/list pagination against a server that never
// stops handing out cursors.
const maxToolPages = 50

// modernProtocol is the first protocol version negotiated with
// server/discover instead of initialize.
const modernProtocol = "2026-07-28"

// rpcLog times JSON-RPC round trips by request ID, so the handshake can be
// split into server/discover and initialize.
type rpcLog struct {
	mu      sync.Mutex
	pending map[string]rpcCall
	done    []rpcCall
}

type rpcCall struct {
	method string
	start  time.Time
	dur    time.Duration
	err    string
}

func newRPCLog() *rpcLog { return &rpcLog{pending: map[string]rpcCall{}} }

func idKey(id jsonrpc.ID) string { return fmt.Sprint(id.Raw()) }

func (l *rpcLog) start(id jsonrpc.ID, method string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pending[idKey(id)] = rpcCall{method: method, start: time.Now()}
}

// end completes the call with id; errText is "" on success.
func (l *rpcLog) end(id jsonrpc.ID, errText string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := idKey(id)
	c, ok := l.pending[k]
	if !ok {
		return
	}
	delete(l.pending, k)
	c.dur, c.err = time.Since(c.start), errText
	l.done = append(l.done, c)
}

// steps returns the calls to the given methods in start order; one still
// pending is cut at end with "no answer".
func (l *rpcLog) steps(end time.Time, methods ...string) []Step {
	l.mu.Lock()
	defer l.mu.Unlock()
	want := map[string]bool{}
	for _, m := range methods {
		want[m] = true
	}
	calls := append([]rpcCall(nil), l.done...)
	for _, c := range l.pending {
		c.dur, c.err = end.Sub(c.start), "no answer"
		calls = append(calls, c)
	}
	sort.Slice(calls, func(i, j int) bool { return calls[i].start.Before(calls[j].start) })
	var out []Step
	for _, c := range calls {
		if want[c.method] {
			out = append(out, Step{Method: c.method, MS: ms(c.dur), Error: c.err})
		}
	}
	return out
}

// observedConn feeds an rpcLog from the messages crossing a connection.
// It must not wrap the streamable HTTP connection: the SDK reaches that one
// through an unexported interface a wrapper would hide (it sets the protocol
// version header from it), so there the recording RoundTripper feeds the log.
type observedConn struct {
	mcp.Connection
	log     *rpcLog
	onClose func() error // when set, replaces Close
}

func (c *observedConn) Read(ctx context.Context) (jsonrpc.Message, error) {
	msg, err := c.Connection.Read(ctx)
	if r, ok := msg.(*jsonrpc.Response); ok && err == nil {
		text := ""
		if r.Error != nil {
			text = r.Error.Error()
		}
		c.log.end(r.ID, text)
	}
	return msg, err
}

func (c *observedConn) Write(ctx context.Context, msg jsonrpc.Message) error {
	if r, ok := msg.(*jsonrpc.Request); ok && r.ID.IsValid() {
		c.log.start(r.ID, r.Method)
	}
	return c.Connection.Write(ctx, msg)
}

func (c *observedConn) Close() error {
	if c.onClose != nil {
		return c.onClose()
	}
	return c.Connection.Close()
}

// timedTransport times the inner transport's Connect (starting the process,
// opening the SSE stream) apart from the handshake that follows.
type timedTransport struct {
	inner     mcp.Transport
	log       *rpcLog
	wrap      bool // wrap the connection in observedConn
	onClose   func(mcp.Connection) error
	connected bool
	dur       time.Duration
	err       error
	closed    atomic.Pointer[time.Time] // when the SDK began closing the connection
}

func (t *timedTransport) Connect(ctx context.Context) (mcp.Connection, error) {
	start := time.Now()
	conn, err := t.inner.Connect(ctx)
	t.dur, t.err, t.connected = time.Since(start), err, err == nil
	if err != nil || !t.wrap {
		return conn, err
	}
	oc := &observedConn{Connection: conn, log: t.log}
	oc.onClose = func() error {
		t.closed.CompareAndSwap(nil, ptrTo(time.Now()))
		if t.onClose != nil {
			return t.onClose(conn)
		}
		return conn.Close()
	}
	return oc, nil
}

func ptrTo[T any](v T) *T { return &v }

// until is how long from start until the connection began closing, or
// until now: the SDK closes a failed session inside Connect, and cleanup
// (ending a process group) is not handshake time.
func (t *timedTransport) until(start time.Time) time.Duration {
	if c := t.closed.Load(); c != nil {
		return c.Sub(start)
	}
	return time.Since(start)
}

// sessionFailure says which phase failed and how.
type sessionFailure struct {
	phase string
	err   error
}

// runSession connects over t and walks handshake, tools/list and ping,
// recording each phase; it closes the session before returning. It returns
// nil when every phase succeeded.
func (p *prober) runSession(ctx context.Context, t *timedTransport) *sessionFailure {
	client := mcp.NewClient(&mcp.Implementation{Name: "mcpmend-probe", Version: p.opts.ClientVersion},
		// No capabilities: a client advertising roots makes some servers
		// (server-everything) send roots/list and stay busy after close.
		&mcp.ClientOptions{Capabilities: &mcp.ClientCapabilities{}, Logger: p.opts.Logger})
	start := time.Now()
	cs, err := client.Connect(ctx, t, nil)
	total := t.until(start)
	p.releaseStart() // started, or failed to: the next server may start
	if !t.connected {
		if t.err != nil {
			err = t.err
		}
		p.phase(PhaseConnect, total, err, nil)
		return &sessionFailure{PhaseConnect, err}
	}
	p.phase(PhaseConnect, t.dur, nil, nil)
	steps := t.log.steps(start.Add(total), "server/discover", "initialize")
	if len(steps) > 1 && steps[0].Method == "server/discover" && steps[0].Error == "" {
		// It answered, but offered no protocol version the client uses with
		// server/discover, so the client fell back to initialize.
		steps[0].Error = "answered without a shared modern protocol version; fell back to initialize"
	}
	p.phase(PhaseHandshake, total-t.dur, err, steps)
	if err != nil {
		return &sessionFailure{PhaseHandshake, err}
	}
	defer cs.Close()
	p.r.Server = serverInfo(cs.InitializeResult())
	p.r.Server.Name, p.r.Server.Version = p.clean(p.r.Server.Name), p.clean(p.r.Server.Version)
	p.r.Server.ProtocolVersion = p.clean(p.r.Server.ProtocolVersion)
	for i, c := range p.r.Server.Capabilities {
		p.r.Server.Capabilities[i] = p.clean(c)
	}
	// ping goes out beside tools/list, not after it: a server 300 ms away
	// costs one round trip for the two (a client may have requests in
	// flight at once; Claude Code lists tools, prompts and resources so).
	// The verdict reads them in the same order as before: tools/list
	// first, and ping only once it succeeded.
	type pinged struct {
		err error
		dur time.Duration
	}
	ping := make(chan pinged, 1)
	go func() {
		start := time.Now()
		err := cs.Ping(ctx, nil)
		ping <- pinged{err, time.Since(start)}
	}()
	if f := p.listTools(ctx, cs); f != nil {
		<-ping
		return f
	}
	p.complete = true // initialize and tools/list succeeded: ok unless ping fails
	pg := <-ping
	err = pg.err
	p.phase(PhasePing, pg.dur, err, nil)
	var rpcErr *jsonrpc.Error
	if errors.As(err, &rpcErr) {
		// It answered, with an error: alive, and clients that do not ping
		// (Claude Code does not on connect) work with it.
		p.note("the server answers ping with an error (%s); the spec requires ping, and clients that ping to keep a session alive will drop it", rpcErr.Message)
		return nil
	}
	if err != nil {
		p.complete = false
		return &sessionFailure{PhasePing, err}
	}
	return nil
}

func (p *prober) listTools(ctx context.Context, cs *mcp.ClientSession) *sessionFailure {
	if caps := cs.InitializeResult().Capabilities; caps == nil || caps.Tools == nil {
		// Claude Code does not call tools/list then either: the server is
		// usable as configured, with no tools.
		p.note("the server does not offer tools (no tools capability), so tools/list was not called, as Claude Code does not call it")
		return nil
	}
	start := time.Now()
	var cursor string
	for page := 0; ; page++ {
		res, err := cs.ListTools(ctx, &mcp.ListToolsParams{Cursor: cursor})
		if err != nil {
			p.phase(PhaseTools, time.Since(start), err, nil)
			return &sessionFailure{PhaseTools, err}
		}
		for _, t := range res.Tools {
			if len(p.r.Server.Tools) < maxToolNames {
				p.r.Server.Tools = append(p.r.Server.Tools, p.clean(t.Name))
			}
		}
		p.r.Server.ToolCount += len(res.Tools)
		if cursor = res.NextCursor; cursor == "" {
			break
		}
		if page == maxToolPages {
			p.note("tools/list still returned a cursor after %d pages; stopped counting", maxToolPages)
			break
		}
	}
	p.phase(PhaseTools, time.Since(start), nil, nil)
	return nil
}

func serverInfo(init *mcp.InitializeResult) *ServerInfo {
	info := &ServerInfo{ProtocolVersion: init.ProtocolVersion, Capabilities: []string{}, Handshake: "initialize"}
	if init.ProtocolVersion >= modernProtocol {
		info.Handshake = "server/discover"
	}
	if init.ServerInfo != nil {
		info.Name, info.Version = init.ServerInfo.Name, init.ServerInfo.Version
	}
	if c := init.Capabilities; c != nil {
		// Logging is deprecated from 2026-07-28 on, but older servers still
		// advertise it and the report says what the server said.
		//lint:ignore SA1019 reported as advertised
		logging := c.Logging != nil
		for _, k := range []struct {
			name string
			on   bool
		}{{"tools", c.Tools != nil}, {"resources", c.Resources != nil}, {"prompts", c.Prompts != nil},
			{"logging", logging}, {"completions", c.Completions != nil}} {
			if k.on {
				info.Capabilities = append(info.Capabilities, k.name)
			}
		}
		var extra []string
		for k := range c.Experimental {
			extra = append(extra, "experimental:"+k)
		}
		for k := range c.Extensions {
			extra = append(extra, "extension:"+k)
		}
		sort.Strings(extra)
		info.Capabilities = append(info.Capabilities, extra...)
	}
	return info
}
