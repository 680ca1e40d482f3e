// Package bridge mounts the tools of another MCP server on mcpmend's own
// server for the rest of a conversation: after a reset, the client dials the
// healed server again only in its next session, but mcpmend is connected in
// this one, and Claude Code re-fetches a server's tool list when the server
// sends notifications/tools/list_changed.
//
// A Manager belongs to one mcp.Server (mcpmend builds one per client
// connection). Mount dials nothing itself: it is handed a connected upstream
// session (tools/probe dials it exactly as the server's client would), lists
// its tools, adds each as <server>__<tool> with the upstream description
// (prefixed), input and output schemas and annotations unchanged, and returns
// only once the SDK has written notifications/tools/list_changed to the
// client: go-sdk debounces that notification by 10 ms on a timer, and Claude
// Code does not await its re-list, so a tool result returned first can reach
// the model before the new tools do.
//
// Calls are forwarded with their arguments (the raw JSON), progress (the
// client's progress token is mapped to one of ours upstream and back) and
// cancellation (the handler's context is the client's request; the SDK sends
// notifications/cancelled upstream when it ends); results come back as the
// upstream sent them. An upstream that disconnects is unmounted (list_changed
// again) and a late call of one of its tools answers a clear error. Stop and
// Close end upstream sessions; nothing is ever written to any configuration
// or store.
package bridge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// DescriptionPrefix starts every bridged tool's description, naming the
// server, so the model knows the tool reaches that server through mcpmend.
const DescriptionPrefix = "[bridged by mcpmend from the %q MCP server, until the client connects to it again] "

// notifyWait bounds how long Mount waits for the list_changed notification
// to be written. It is sent 10 ms after the last change; longer means the
// client is not reading, and Mount then returns anyway.
const notifyWait = 3 * time.Second

// relistWait bounds how long Mount waits, after list_changed, for the
// client to fetch the new list (Claude Code 2.1.328 asks within ~5 ms; a
// client that ignores the notification never asks).
const relistWait = 1500 * time.Millisecond

// relistSettle is how long Mount still waits after the client's re-fetch
// was answered. Measured with Claude Code 2.1.328 in stream-json mode:
// returning at once, the next model request missed the new tools in about
// one run in three; the client updates its tool set asynchronously.
const relistSettle = 250 * time.Millisecond

// pingWait bounds the liveness ping after a failed call.
const pingWait = 3 * time.Second

// maxListPages bounds tools/list pagination upstream.
const maxListPages = 50

// Upstream is a connected session with the server being bridged. Close
// ends it (and the server's processes, for a stdio server); Scrub removes
// configured secrets from text the server sent or an error about it.
type Upstream struct {
	Session *mcp.ClientSession
	Scrub   func(string) string
	Close   func()
}

// Dialer connects client to the upstream server. The Manager builds the
// client (it forwards progress and tool-list changes); the dialer decides
// how to reach the server.
type Dialer func(ctx context.Context, client *mcp.Client) (*Upstream, error)

// Info describes one active bridge.
type Info struct {
	Server string    `json:"server"`
	Client string    `json:"client,omitempty"`
	Scope  string    `json:"scope,omitempty"`
	Tools  []string  `json:"tools"` // the names mounted on mcpmend, sorted
	Since  time.Time `json:"since"`
}

// Key identifies the server a bridge reaches.
type Key struct{ Server, Client, Scope string }

// Manager holds the bridges of one mcp.Server. Use NewManager.
type Manager struct {
	srv    *mcp.Server
	log    *slog.Logger
	budget int

	mu      sync.Mutex
	bridges map[Key]*bridge
	owner   map[string]*bridge // mounted tool name → its bridge
	gone    map[string]string  // tool name of a bridge that ended → why
	closed  bool

	notes     notifyLog
	onSession func(*mcp.ServerSession)
	sessions  sync.Map // *mcp.ServerSession seen → struct{}
}

// Options tune a Manager.
type Options struct {
	Logger *slog.Logger
	// NameBudget is the longest bridged tool name (default
	// DefaultNameBudget, for Claude Code's mcp__mcpmend__ prefix).
	NameBudget int
	// OnSession is called once for each client session, at its first
	// request: the caller ties the Manager's life to the session's.
	OnSession func(*mcp.ServerSession)
}

// NewManager returns the Manager for srv and installs the two middlewares
// it needs: one that sees notifications/tools/list_changed being written,
// and one that answers a call of a tool whose bridge ended.
func NewManager(srv *mcp.Server, opts Options) *Manager {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	m := &Manager{srv: srv, log: opts.Logger, budget: opts.NameBudget, onSession: opts.OnSession,
		bridges: map[Key]*bridge{}, owner: map[string]*bridge{}, gone: map[string]string{}}
	m.notes.cond = sync.NewCond(&m.notes.mu)
	srv.AddSendingMiddleware(m.watchListChanged)
	srv.AddReceivingMiddleware(m.answerGone)
	return m
}

// bridge is one mounted upstream.
type bridge struct {
	key   Key
	up    *Upstream
	since time.Time
	tools map[string]string // mounted name → upstream name
	down  *mcp.ServerSession

	stopping atomic.Bool
	tokens   sync.Map // upstream progress token → progressTarget
	nextTok  atomic.Int64
}

type progressTarget struct {
	token   any
	session *mcp.ServerSession
}

// Mounted is what Mount did.
type Mounted struct {
	Tools    []MountedTool `json:"tools"`
	Replaced bool          `json:"replaced,omitempty"` // an earlier bridge to the same server was stopped first
	Notified bool          `json:"notified"`           // list_changed was written before Mount returned
	Relisted bool          `json:"relisted"`           // and the client fetched the new list before Mount returned
}

// MountedTool pairs a bridged name with the upstream tool.
type MountedTool struct {
	Name     string `json:"name"`
	Upstream string `json:"upstream"`
}

// Mount dials the upstream through dial, mounts its tools and returns once
// the client has been told the tool list changed. down is the client
// session the bridge serves (progress goes there; when it ends, so does the
// bridge). A bridge to the same key is replaced.
func (m *Manager) Mount(ctx context.Context, key Key, down *mcp.ServerSession, dial Dialer) (*Mounted, error) {
	b := &bridge{key: key, since: time.Now(), down: down}
	client := mcp.NewClient(&mcp.Implementation{Name: "mcpmend-bridge", Version: "1"}, &mcp.ClientOptions{
		// No roots: the bridge has none to offer.
		Capabilities:                &mcp.ClientCapabilities{},
		ProgressNotificationHandler: b.forwardProgress,
		ToolListChangedHandler: func(context.Context, *mcp.ToolListChangedRequest) {
			go m.refresh(b)
		},
		// No SDK logger: its messages quote the peer's errors and URLs
		// unscrubbed; the Manager logs what matters, scrubbed.
	})
	up, err := dial(ctx, client)
	if err != nil {
		return nil, err
	}
	b.up = up
	tools, err := listTools(ctx, up.Session)
	if err != nil {
		up.Close()
		return nil, fmt.Errorf("listing the server's tools: %s", up.Scrub(err.Error()))
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		up.Close()
		return nil, errors.New("mcpmend's connection to the client is closing")
	}
	old := m.bridges[key]
	if old != nil {
		m.unmountLocked(old, "")
	}
	m.bridges[key] = b
	mounted := m.mountLocked(b, tools)
	mk := m.notes.mark(down) // after the change: a notification that begins later carries it
	m.mu.Unlock()
	if old != nil {
		old.close()
	}
	go m.watch(b)
	res := &Mounted{Tools: mounted, Replaced: old != nil}
	if len(mounted) > 0 {
		res.Notified, res.Relisted = m.notes.announce(ctx, down, mk)
	}
	return res, nil
}

// listTools reads every page of the upstream's tools.
func listTools(ctx context.Context, cs *mcp.ClientSession) ([]*mcp.Tool, error) {
	if caps := cs.InitializeResult().Capabilities; caps == nil || caps.Tools == nil {
		return nil, nil
	}
	var out []*mcp.Tool
	var cursor string
	for page := 0; page < maxListPages; page++ {
		res, err := cs.ListTools(ctx, &mcp.ListToolsParams{Cursor: cursor})
		if err != nil {
			return nil, err
		}
		out = append(out, res.Tools...)
		if cursor = res.NextCursor; cursor == "" {
			break
		}
	}
	return out, nil
}

// mountLocked adds b's tools under their bridged names, in upstream-name
// order so that collisions resolve the same way every time.
func (m *Manager) mountLocked(b *bridge, tools []*mcp.Tool) []MountedTool {
	sort.Slice(tools, func(i, j int) bool { return tools[i].Name < tools[j].Name })
	b.tools = map[string]string{}
	var out []MountedTool
	for _, t := range tools {
		if t == nil || t.Name == "" || t.InputSchema == nil {
			continue
		}
		name := ToolName(b.key.Server, t.Name, m.budget, m.takenLocked)
		if name == "" {
			continue
		}
		bt := *t
		bt.Name = name
		bt.Description = fmt.Sprintf(DescriptionPrefix, b.key.Server) + b.up.Scrub(t.Description)
		if !addTool(m.srv, &bt, m.forward(b, t.Name)) {
			m.log.Warn("bridge: upstream tool not mounted (schema rejected)", "server", b.key.Server, "tool", b.up.Scrub(t.Name))
			continue
		}
		b.tools[name] = t.Name
		m.owner[name] = b
		delete(m.gone, name)
		out = append(out, MountedTool{Name: name, Upstream: b.up.Scrub(t.Name)})
	}
	return out
}

// addTool adds t, reporting false when the SDK refuses it (it panics on an
// input schema that is not an object).
func addTool(srv *mcp.Server, t *mcp.Tool, h mcp.ToolHandler) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	srv.AddTool(t, h)
	return true
}

// takenLocked reports whether name is in use on the server: a bridged tool
// or one of mcpmend's own.
func (m *Manager) takenLocked(name string) bool {
	if _, ok := m.owner[name]; ok {
		return true
	}
	return ownTools[name]
}

// ownTools are mcpmend's own tool names, registered by the tools package.
var ownTools = map[string]bool{}

// Reserve marks names as mcpmend's own: no bridged tool takes them.
func Reserve(names ...string) {
	for _, n := range names {
		ownTools[n] = true
	}
}

// unmountLocked removes b's tools; why (when set) is what a later call of
// one of them answers.
func (m *Manager) unmountLocked(b *bridge, why string) {
	if m.bridges[b.key] == b {
		delete(m.bridges, b.key)
	}
	var names []string
	for name := range b.tools {
		if m.owner[name] == b {
			delete(m.owner, name)
			names = append(names, name)
			if why != "" {
				m.gone[name] = why
			}
		}
	}
	if len(names) > 0 {
		m.srv.RemoveTools(names...)
	}
}

// watch unmounts b when its upstream session ends on its own.
func (m *Manager) watch(b *bridge) {
	_ = b.up.Session.Wait()
	m.lost(b)
}

// lost unmounts b because its upstream is gone (unless it was stopped or
// replaced), so a late call answers why, then closes it.
func (m *Manager) lost(b *bridge) {
	if b.stopping.Load() {
		return
	}
	m.mu.Lock()
	if m.bridges[b.key] == b {
		m.unmountLocked(b, fmt.Sprintf("the bridge to %q ended at %s: the server disconnected. Call bridge_server again to re-mount it, or it returns in the client's next session",
			b.key.Server, time.Now().UTC().Format(time.TimeOnly)+" UTC"))
	}
	m.mu.Unlock()
	b.close()
	m.log.Info("bridge: upstream disconnected; its tools were removed", "server", b.key.Server)
}

// checkAlive pings b's upstream after a failed call: a remote server's
// session does not end by itself when the server goes away, so a call that
// failed below MCP and an unanswered ping mean it is gone.
func (m *Manager) checkAlive(b *bridge) {
	ctx, cancel := context.WithTimeout(context.Background(), pingWait)
	defer cancel()
	if err := b.up.Session.Ping(ctx, nil); err != nil {
		var rpcErr *jsonrpc.Error
		if !errors.As(err, &rpcErr) || localRPCError(rpcErr.Code) { // an error answer is still an answer
			m.lost(b)
		}
	}
}

// refresh re-mounts b's tools after the upstream said its list changed.
func (m *Manager) refresh(b *bridge) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tools, err := listTools(ctx, b.up.Session)
	if err != nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.bridges[b.key] != b {
		return
	}
	var names []string
	for name := range b.tools {
		delete(m.owner, name)
		names = append(names, name)
	}
	m.srv.RemoveTools(names...)
	m.mountLocked(b, tools)
}

// Stop removes the bridge to key and ends its upstream session; false when
// there was none. The client is told the list changed before Stop returns.
func (m *Manager) Stop(ctx context.Context, key Key) ([]string, bool) {
	m.mu.Lock()
	b := m.bridges[key]
	if b == nil {
		m.mu.Unlock()
		return nil, false
	}
	b.stopping.Store(true)
	names := sortedNames(b.tools)
	m.unmountLocked(b, fmt.Sprintf("the bridge to %q was stopped; call bridge_server to mount it again", key.Server))
	mk := m.notes.mark(b.down)
	m.mu.Unlock()
	b.close()
	if len(names) > 0 {
		m.notes.announce(ctx, b.down, mk)
	}
	return names, true
}

// Close ends every bridge (mcpmend's client connection is over).
func (m *Manager) Close() {
	m.mu.Lock()
	m.closed = true
	var all []*bridge
	for _, b := range m.bridges {
		b.stopping.Store(true)
		all = append(all, b)
	}
	m.bridges = map[Key]*bridge{}
	m.owner = map[string]*bridge{}
	m.mu.Unlock()
	var wg sync.WaitGroup
	for _, b := range all {
		wg.Add(1)
		go func() { defer wg.Done(); b.close() }()
	}
	wg.Wait()
}

// Active lists the active bridges, by server name.
func (m *Manager) Active() []Info {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := []Info{}
	for _, b := range m.bridges {
		out = append(out, Info{Server: b.key.Server, Client: b.key.Client, Scope: b.key.Scope, Tools: sortedNames(b.tools), Since: b.since})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Server < out[j].Server })
	return out
}

func sortedNames(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (b *bridge) close() {
	b.stopping.Store(true)
	if b.up != nil {
		b.up.Close()
	}
}

// forward is the handler of one bridged tool.
func (m *Manager) forward(b *bridge, upstream string) mcp.ToolHandler {
	return func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		params := &mcp.CallToolParams{Name: upstream}
		if len(req.Params.Arguments) > 0 && string(req.Params.Arguments) != "null" {
			params.Arguments = req.Params.Arguments
		}
		if tok := req.Params.GetProgressToken(); tok != nil {
			ours := fmt.Sprintf("mcpmend-bridge-%d", b.nextTok.Add(1))
			b.tokens.Store(ours, progressTarget{token: tok, session: req.Session})
			defer b.tokens.Delete(ours)
			params.SetProgressToken(ours)
		}
		res, err := b.up.Session.CallTool(ctx, params)
		if err == nil {
			return res, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err() // cancelled by the client: the SDK told the upstream
		}
		var rpcErr *jsonrpc.Error
		if errors.As(err, &rpcErr) && !localRPCError(rpcErr.Code) {
			// The upstream answered with a JSON-RPC error: pass it on as such.
			return nil, &jsonrpc.Error{Code: rpcErr.Code, Message: b.up.Scrub(rpcErr.Message), Data: rpcErr.Data}
		}
		msg := fmt.Sprintf("the call to %q on the bridged server %q failed: %s", upstream, b.key.Server, b.up.Scrub(err.Error()))
		if b.stopping.Load() || errors.Is(err, mcp.ErrConnectionClosed) || strings.Contains(err.Error(), "closed") {
			msg += fmt.Sprintf(". The server disconnected, so its bridged tools are removed; call bridge_server to mount %q again, or it returns in the client's next session", b.key.Server)
		} else {
			m.checkAlive(b)
			if b.stopping.Load() {
				msg += fmt.Sprintf(". The server no longer answers, so its bridged tools are removed; call bridge_server to mount %q again, or it returns in the client's next session", b.key.Server)
			}
		}
		return &mcp.CallToolResult{IsError: true, Content: []mcp.Content{&mcp.TextContent{Text: msg}}}, nil
	}
}

// localRPCError reports the go-sdk's own codes for a call that never got an
// answer (client closing, server closing, rejected by the transport).
func localRPCError(code int64) bool {
	return code == -32003 || code == -32004 || code == -32005
}

// forwardProgress sends an upstream progress notification to the client
// under the client's own token.
func (b *bridge) forwardProgress(ctx context.Context, req *mcp.ProgressNotificationClientRequest) {
	v, ok := b.tokens.Load(fmt.Sprint(req.Params.ProgressToken))
	if !ok {
		return
	}
	t := v.(progressTarget)
	_ = t.session.NotifyProgress(ctx, &mcp.ProgressNotificationParams{ProgressToken: t.token,
		Progress: req.Params.Progress, Total: req.Params.Total, Message: b.up.Scrub(req.Params.Message)})
}

// answerGone answers a call of a tool whose bridge ended with an error that
// says so, instead of the SDK's "unknown tool"; it also notes each tools/list
// answered, for announce.
func (m *Manager) answerGone(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		if ss, ok := req.GetSession().(*mcp.ServerSession); ok && m.onSession != nil {
			if _, seen := m.sessions.LoadOrStore(ss, struct{}{}); !seen {
				m.onSession(ss)
			}
		}
		if method == "tools/list" {
			ss, _ := req.GetSession().(*mcp.ServerSession)
			seq := m.notes.begin(ss, true)
			res, err := next(ctx, method, req)
			m.notes.done(ss, true, seq, err == nil)
			return res, err
		}
		if method != "tools/call" {
			return next(ctx, method, req)
		}
		var name string
		if p, ok := req.GetParams().(*mcp.CallToolParamsRaw); ok && p != nil {
			name = p.Name
		}
		m.mu.Lock()
		why, gone := m.gone[name]
		_, live := m.owner[name]
		m.mu.Unlock()
		if gone && !live {
			return &mcp.CallToolResult{IsError: true, Content: []mcp.Content{&mcp.TextContent{Text: why}}}, nil
		}
		return next(ctx, method, req)
	}
}

// watchListChanged notes each notifications/tools/list_changed written to
// a session.
func (m *Manager) watchListChanged(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		if method != "notifications/tools/list_changed" {
			return next(ctx, method, req)
		}
		ss, _ := req.GetSession().(*mcp.ServerSession)
		seq := m.notes.begin(ss, false)
		res, err := next(ctx, method, req)
		m.notes.done(ss, false, seq, err == nil)
		return res, err
	}
}

// notifyLog orders list_changed notifications and the client's tools/list
// re-fetches against changes: a notification or tools/list that begins
// after a change carries it, since the server answers from its state then.
type notifyLog struct {
	mu   sync.Mutex
	cond *sync.Cond
	sess map[*mcp.ServerSession]*sessionLog
}

// sessionLog counts one session's notifications and re-lists: how many
// began, and the highest begin number finished.
type sessionLog struct {
	notesBegun, notesWritten int64
	listsBegun, listsDone    int64
}

// mark is taken after a change.
type mark struct{ notes, lists int64 }

func (n *notifyLog) log(ss *mcp.ServerSession) *sessionLog {
	if n.sess == nil {
		n.sess = map[*mcp.ServerSession]*sessionLog{}
	}
	l := n.sess[ss]
	if l == nil {
		l = &sessionLog{}
		n.sess[ss] = l
	}
	return l
}

func (n *notifyLog) mark(ss *mcp.ServerSession) mark {
	n.mu.Lock()
	defer n.mu.Unlock()
	l := n.log(ss)
	return mark{l.notesBegun, l.listsBegun}
}

// begin counts a notification (list=false) or a tools/list (list=true)
// that starts now.
func (n *notifyLog) begin(ss *mcp.ServerSession, list bool) int64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	l := n.log(ss)
	if list {
		l.listsBegun++
		return l.listsBegun
	}
	l.notesBegun++
	return l.notesBegun
}

func (n *notifyLog) done(ss *mcp.ServerSession, list bool, seq int64, ok bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	l := n.log(ss)
	switch {
	case !ok:
	case list && seq > l.listsDone:
		l.listsDone = seq
	case !list && seq > l.notesWritten:
		l.notesWritten = seq
	}
	n.cond.Broadcast()
}

// wait blocks until cond holds for ss's log, ctx ends or d passes; it
// reports whether cond held.
func (n *notifyLog) wait(ctx context.Context, ss *mcp.ServerSession, d time.Duration, cond func(*sessionLog) bool) bool {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	stop := context.AfterFunc(ctx, func() {
		n.mu.Lock()
		n.cond.Broadcast()
		n.mu.Unlock()
	})
	defer stop()
	n.mu.Lock()
	defer n.mu.Unlock()
	for !cond(n.log(ss)) {
		if ctx.Err() != nil {
			return false
		}
		n.cond.Wait()
	}
	return true
}

// announce waits until the client has been told of a change made before
// mk: a list_changed written after it (bounded by notifyWait) and then the
// client's tools/list re-fetch answered (bounded by relistWait). Claude Code
// does not await its re-fetch: a tool result returned before the re-fetch
// is answered reaches the model with the old list (measured, 2.1.328 -p).
func (n *notifyLog) announce(ctx context.Context, ss *mcp.ServerSession, mk mark) (notified, relisted bool) {
	notified = n.wait(ctx, ss, notifyWait, func(l *sessionLog) bool { return l.notesWritten > mk.notes })
	if notified {
		relisted = n.wait(ctx, ss, relistWait, func(l *sessionLog) bool { return l.listsDone > mk.lists })
	}
	if relisted {
		// The client installs the new list asynchronously after reading
		// the answer; give it that moment before the result it will act on.
		select {
		case <-time.After(relistSettle):
		case <-ctx.Done():
		}
	}
	return notified, relisted
}
