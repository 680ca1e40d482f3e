package tools

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpmend/mcpmend/cache/credentials"
	"github.com/mcpmend/mcpmend/registry"
	"github.com/mcpmend/mcpmend/tools/bridge"
	"github.com/mcpmend/mcpmend/tools/probe"
)

// BridgeServerInput names the server to bridge, or to stop bridging.
type BridgeServerInput struct {
	Name   string `json:"name" jsonschema:"the server's name exactly as configured (case-sensitive)"`
	Client string `json:"client,omitempty" jsonschema:"the client whose definition to dial, when several clients configure this name: claude-code, claude-desktop, cursor, vscode, windsurf, codex, gemini or zed"`
	Scope  string `json:"scope,omitempty" jsonschema:"the scope (user, local, project, …) of the definition; by default the effective one"`
	Stop   bool   `json:"stop,omitempty" jsonschema:"remove this server's bridged tools and close the connection to it"`
}

// BridgeServerOutput says what happened, leading with status and next.
type BridgeServerOutput struct {
	Status  string                 `json:"status" jsonschema:"bridged, stopped, not-bridged (nothing changed) or not-active (stop of a bridge that does not exist)"`
	Verdict string                 `json:"verdict"`
	Next    string                 `json:"next"`
	Tools   []bridge.MountedTool   `json:"tools,omitempty" jsonschema:"the bridged tool names (call them as mcp__mcpmend__<name> in Claude Code) and the upstream tool each reaches"`
	Warning string                 `json:"warning,omitempty"`
	Probe   *BridgeProbe           `json:"probe,omitempty" jsonschema:"why the server could not be dialled"`
	Active  []bridge.Info          `json:"active,omitempty" jsonschema:"every bridge now active in this conversation"`
	Server  *bridgeServerReference `json:"server,omitempty"`
}

// BridgeProbe is the gist of a failed dial.
type BridgeProbe struct {
	Verdict string `json:"verdict"`
	Summary string `json:"summary"`
}

type bridgeServerReference struct {
	Name   string `json:"name"`
	Client string `json:"client"`
	Scope  string `json:"scope"`
	File   string `json:"file,omitempty"`
}

func addBridgeServer(ts *toolSet) {
	d := ts.d
	bridge.Reserve("bridge_server")
	m := d.bridgeManager(ts.s)
	addTool(ts, &mcp.Tool{
		Name:  "bridge_server",
		Title: "Use a healed server in this conversation, through mcpmend",
		Description: `Give this conversation a server back now, without a restart: after a reset (or any time a configured server works but this session skipped it), mcpmend dials the server exactly as its client would and adds each of its tools to mcpmend's own list as <server>__<tool> (in Claude Code: mcp__mcpmend__<server>__<tool>). The client refreshes its tool list before this call returns; call the bridged tools like any other.

Offer it when a diagnosis or reset says next: bridge_server. It only dials a server its client would dial (approved, trusted) that answers now; an OAuth server is used with the client's stored access token while valid (never refreshed; expired → sign in instead). Nothing is written anywhere, and the client asks permission for the bridged names as for any new tool. The bridge lasts for this conversation; the server's own entry returns in the client's next session. stop: true removes it. Example: {"name": "github"}.`,
		Annotations: &mcp.ToolAnnotations{ReadOnlyHint: false, IdempotentHint: true, DestructiveHint: ptr(false), OpenWorldHint: ptr(true)},
	}, plainInput[BridgeServerInput], func(ctx context.Context, req *mcp.CallToolRequest, in BridgeServerInput) (*mcp.CallToolResult, *BridgeServerOutput, error) {
		out, err := BridgeServer(ctx, d, m, req.Session, in)
		if err != nil {
			return nil, nil, err
		}
		// not-bridged is an answer with a next step, not a failure.
		return text(out.Text()), out, nil
	})
}

// bridgeSet holds each mcp.Server's bridge Manager, so Close ends them
// all, and the client sessions whose end closes their server's bridges.
type bridgeSet struct {
	mu      sync.Mutex
	byID    map[*mcp.Server]*bridge.Manager
	watched onceSet
	// closing counts the Managers forget took out of byID and is still
	// closing: Close waits for them, or the process would exit with their
	// upstreams half-ended (the session's end and stdin's EOF come
	// together, so forget often starts first).
	closing sync.WaitGroup
}

// sharedBridges serves a Deps built without NewDeps.
var sharedBridges = &bridgeSet{}

func (d *Deps) bridgeSet() *bridgeSet {
	if d.bridges != nil {
		return d.bridges
	}
	return sharedBridges
}

// bridgeManager returns s's Manager, creating it on first use.
func (d *Deps) bridgeManager(s *mcp.Server) *bridge.Manager {
	bs := d.bridgeSet()
	bs.mu.Lock()
	defer bs.mu.Unlock()
	if bs.byID == nil {
		bs.byID = map[*mcp.Server]*bridge.Manager{}
	}
	m := bs.byID[s]
	if m == nil {
		// Each client session ends its server's bridges and drops the
		// Manager (serve --http builds a server per session).
		var self *bridge.Manager
		m = bridge.NewManager(s, bridge.Options{Logger: d.Logger, OnSession: func(ss *mcp.ServerSession) { watchSession(d, self, ss) }})
		self = m
		bs.byID[s] = m
	}
	return m
}

// forget closes m and drops it: its client connection ended.
func (d *Deps) forget(m *bridge.Manager) {
	bs := d.bridgeSet()
	bs.mu.Lock()
	mine := false
	for s, o := range bs.byID {
		if o == m {
			delete(bs.byID, s)
			mine = true
		}
	}
	if mine {
		// under mu, so that it happens before a Close that finds m gone
		bs.closing.Add(1)
		defer bs.closing.Done()
	}
	bs.mu.Unlock()
	m.Close()
}

// Close ends every bridge of every server built from d, and waits for
// those a session's end is already ending: mcpmend is exiting.
func (d *Deps) Close() {
	bs := d.bridgeSet()
	bs.mu.Lock()
	all := bs.byID
	bs.byID = nil
	bs.mu.Unlock()
	for _, m := range all {
		m.Close()
	}
	bs.closing.Wait()
}

// activeBridges lists the bridges of the server a session belongs to.
func (d *Deps) activeBridges(ss *mcp.ServerSession) []bridge.Info {
	bs := d.bridgeSet()
	bs.mu.Lock()
	defer bs.mu.Unlock()
	for s, m := range bs.byID {
		for sess := range s.Sessions() {
			if sess == ss {
				return m.Active()
			}
		}
	}
	return nil
}

// BridgeServer mounts (or with Stop removes) the bridge to one server for
// the client connection ss belongs to.
func BridgeServer(ctx context.Context, d *Deps, m *bridge.Manager, ss *mcp.ServerSession, in BridgeServerInput) (*BridgeServerOutput, error) {
	inv := registry.Discover(d.Env)
	srv, err := findServer(inv, in.Name, in.Client, in.Scope)
	if err != nil {
		return nil, err
	}
	key := bridge.Key{Server: srv.Name, Client: srv.Client, Scope: srv.Scope}
	out := &BridgeServerOutput{Server: &bridgeServerReference{Name: srv.Name, Client: srv.Client, Scope: srv.Scope, File: srv.File}}
	if in.Stop {
		names, ok := m.Stop(ctx, key)
		out.Status, out.Verdict = "stopped", fmt.Sprintf("removed %d bridged tool(s) of %s and closed the connection to it", len(names), srv.Name)
		if !ok {
			out.Status, out.Verdict = "not-active", "no bridge to "+srv.Name+" is active in this conversation"
		}
		out.Next = "nothing: " + srv.Name + " returns under its own name in the client's next session"
		out.Active = m.Active()
		return out, nil
	}
	if why := clientWouldNotDial(srv); why != "" {
		return notBridged(out, m, why, "fix that in the client first; mcpmend never dials a server its client would not"), nil
	}
	extra, refusal, next := oauthHeader(ctx, d, srv)
	if refusal != "" {
		return notBridged(out, m, refusal, next), nil
	}
	opts, err := probeOptions(d, 0)
	if err != nil {
		return nil, err
	}
	var failed *probe.Result
	dial := func(ctx context.Context, client *mcp.Client) (*bridge.Upstream, error) {
		c, r := probe.Dial(ctx, srv, opts, client, extra)
		if r != nil {
			failed = r
			return nil, errors.New(r.Summary)
		}
		return &bridge.Upstream{Session: c.Session, Scrub: c.Scrub, Close: c.Close}, nil
	}
	mounted, err := m.Mount(ctx, key, ss, dial)
	if err != nil {
		if failed != nil {
			out.Probe = &BridgeProbe{Verdict: string(failed.Verdict), Summary: failed.Summary}
			return notBridged(out, m, srv.Name+" was not bridged: "+failed.Summary, "diagnose_server {\"name\": "+quote(srv.Name)+"} to see why"), nil
		}
		return notBridged(out, m, registry.RedactText(err.Error()), "diagnose_server {\"name\": "+quote(srv.Name)+"}"), nil
	}
	return bridged(out, m, srv, ss, mounted), nil
}

// bridged fills the answer of a successful mount.
func bridged(out *BridgeServerOutput, m *bridge.Manager, srv registry.Server, ss *mcp.ServerSession, mounted *bridge.Mounted) *BridgeServerOutput {
	out.Status, out.Tools, out.Active = "bridged", mounted.Tools, m.Active()
	out.Verdict = fmt.Sprintf("%d tool(s) of %s are available in this conversation through mcpmend as %s__<tool>, until the conversation ends", len(mounted.Tools), srv.Name, srv.Name)
	out.Next = "call the bridged tools as needed; the client asks permission for each new name (your rules for mcp__" + srv.Name + "__* do not cover them). In the next session " + srv.Name + " connects under its own name again"
	if len(mounted.Tools) == 0 {
		out.Verdict = srv.Name + " answers but offers no tools; nothing was added"
		out.Next = "nothing to call"
	}
	if len(mounted.Tools) > 0 && !mounted.Relisted {
		out.Warning = "the client did not fetch mcpmend's new tool list"
		if ci := clientInfo(ss); ci != nil {
			if ok, why := bridge.Relists(ci.Name, ci.Version); !ok {
				out.Warning += ": " + why
			}
		}
		out.Warning += "; if the bridged tools do not appear, start a new session, where " + srv.Name + " connects under its own name"
	}
	return out
}

func notBridged(out *BridgeServerOutput, m *bridge.Manager, why, next string) *BridgeServerOutput {
	out.Status, out.Verdict, out.Next, out.Active = "not-bridged", why, next, m.Active()
	return out
}

// clientWouldNotDial says why the server's client would not dial it, or "".
func clientWouldNotDial(s registry.Server) string {
	switch {
	case s.Untrusted:
		return s.ID() + " is not trusted by its client: " + s.TrustHint
	case unapproved(s):
		return s.ID() + " is a project server the user has not approved (" + string(s.Approval) + ")"
	case s.Disabled:
		return s.ID() + " is disabled in its client"
	}
	return ""
}

// oauthHeader is the Authorization header Claude Code would send to an
// OAuth server: its stored access token, while valid. A configured
// Authorization header (or headersHelper) wins, as in Claude Code. An
// expired token is a refusal with how to sign in: mcpmend never refreshes.
func oauthHeader(ctx context.Context, d *Deps, s registry.Server) (http.Header, string, string) {
	if s.Client != registry.ClaudeCode || s.Raw.HeadersHelper.Reveal() != "" {
		return nil, "", ""
	}
	for _, h := range s.Raw.Headers {
		if strings.EqualFold(h.Name, "Authorization") {
			return nil, "", ""
		}
	}
	tok, err := credentials.AccessToken(ctx, d.Env, s, d.now())
	switch {
	case err != nil:
		return nil, "cannot read Claude Code's stored sign-in for " + s.Name + ": " + registry.RedactText(err.Error()), "diagnose_server {\"name\": " + quote(s.Name) + "}"
	case tok.Expired:
		return nil, "the sign-in Claude Code stored for " + s.Name + " expired at " + tok.Expires.Format(time.RFC3339) + "; mcpmend never refreshes it (a refresh would sign Claude Code out)",
			"sign in again in Claude Code: /mcp → " + s.Name + " → Authenticate (or `claude mcp login " + s.Name + "` from 2.1.186); the server then connects in that session"
	case tok.Found:
		return http.Header{"Authorization": {"Bearer " + tok.Value}}, "", ""
	}
	return nil, "", ""
}

// watchSession closes m's bridges and drops m when the client connection ss
// ends.
func watchSession(d *Deps, m *bridge.Manager, ss *mcp.ServerSession) {
	if ss == nil {
		return
	}
	d.bridgeSet().watched.Do(ss, func() {
		go func() {
			_ = ss.Wait()
			d.forget(m)
		}()
	})
}

// onceSet runs a function once per key.
type onceSet struct {
	mu   sync.Mutex
	seen map[any]bool
}

func (o *onceSet) Do(k any, f func()) {
	o.mu.Lock()
	first := !o.seen[k]
	if o.seen == nil {
		o.seen = map[any]bool{}
	}
	o.seen[k] = true
	o.mu.Unlock()
	if first {
		f()
	}
}

// clientInfo is who the client said it is at initialize, or nil.
func clientInfo(ss *mcp.ServerSession) *mcp.Implementation {
	if ss == nil {
		return nil
	}
	p := ss.InitializeParams()
	if p == nil {
		return nil
	}
	return p.ClientInfo
}

func quote(s string) string { return fmt.Sprintf("%q", s) }

// Text renders the answer for text-first clients: the same facts.
func (o *BridgeServerOutput) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s\n", strings.ToUpper(o.Status), o.Verdict)
	for _, t := range o.Tools {
		fmt.Fprintf(&b, "  %s → %s\n", t.Name, t.Upstream)
	}
	if o.Warning != "" {
		fmt.Fprintf(&b, "Warning: %s\n", o.Warning)
	}
	fmt.Fprintf(&b, "Next: %s\n", o.Next)
	if len(o.Active) > 0 {
		var names []string
		for _, a := range o.Active {
			names = append(names, a.Server)
		}
		fmt.Fprintf(&b, "Active bridges: %s\n", strings.Join(names, ", "))
	}
	return b.String()
}
