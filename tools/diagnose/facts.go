package diagnose

import (
	"fmt"
	"strings"
	"time"

	"github.com/mcpmend/mcpmend/cache"
	"github.com/mcpmend/mcpmend/cache/credentials"
	"github.com/mcpmend/mcpmend/cache/mcplogs"
	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/registry"
	"github.com/mcpmend/mcpmend/tools/probe"
)

// facts is what Judge derives from its input once, for every rule to read.
type facts struct {
	in      Input
	s       registry.Server
	sess    *cache.Session
	skip    bool           // the next Claude Code session skips the server
	records []store.Record // what the stores remember (log lines apart)
	logSkip []store.Record // log lines saying a session skipped it
	logErr  []store.Record // error lines of the client's newest MCP log
	// tokens is the state of Claude Code's own stored OAuth tokens for the
	// server's current key: "" (none), "usable" or "expired".
	tokens  string
	secrets []registry.Secret
}

func newFacts(in Input) *facts {
	f := &facts{in: in, s: in.Server, secrets: secretValues(in.Server)}
	if in.State == nil {
		return f
	}
	f.sess = in.State.Session
	f.skip = f.sess != nil && f.sess.Action == cache.ActionSkip
	for _, r := range in.State.Records {
		switch {
		case r.Kind == mcplogs.KindLogSkip:
			f.logSkip = append(f.logSkip, r)
		case r.Store == store.MCPLogs:
			if strings.HasPrefix(r.Detail, "[error]") {
				f.logErr = append(f.logErr, r)
			}
		default:
			f.records = append(f.records, r)
		}
		if r.Kind == credentials.KindTokens && (r.Store == store.Credentials || r.Store == store.Keychain) {
			if r.Active {
				f.tokens = "usable"
			} else if f.tokens == "" {
				f.tokens = "expired"
			}
		}
	}
	return f
}

// scrubbed removes the server's configured secret values from every string
// of a finding: the inputs are already redacted, this is the last guard.
func (f *facts) scrubbed(x Finding) Finding {
	x.Summary = registry.Scrub(x.Summary, f.secrets...)
	for i, e := range x.Evidence {
		x.Evidence[i] = registry.Scrub(e, f.secrets...)
	}
	if x.Next != nil {
		n := *x.Next
		n.Step = registry.Scrub(n.Step, f.secrets...)
		n.Command = registry.Scrub(n.Command, f.secrets...)
		x.Next = &n
	}
	return x
}

// secretValues are the configured values that must never be printed:
// header values, URL credentials and secret arguments (Raw.Secrets), but of
// env values only those that are secrets by name or shape. Every other env
// value is scrubbed by the probe already, in what it reports; scrubbing
// "crash" or "info" once more here would only mangle mcpmend's own words.
func secretValues(s registry.Server) []registry.Secret {
	var out []registry.Secret
	env := map[registry.Secret]bool{}
	for _, e := range s.Raw.Env {
		v := e.Value.Reveal()
		if registry.IsSecretName(e.Name) || registry.RedactText(v) != v {
			out = append(out, e.Value)
		}
		env[e.Value] = true
	}
	bare := s.Raw
	bare.Env = nil
	for _, v := range bare.Secrets() {
		if !env[v] || registry.IsSecretName(string(v)) {
			out = append(out, v)
		}
	}
	return out
}

// isClaude reports whether the server is Claude Code's.
func (f *facts) isClaude() bool { return f.s.Client == registry.ClaudeCode }

// where names the entry for a user step: "the <name> entry in FILE (PATH)".
func (f *facts) where() string {
	return fmt.Sprintf("the %s entry in %s (%s)", f.s.Name, f.s.File, f.s.Path)
}

// args are a tool call's arguments naming this definition: the client when
// another client shares the name, the scope when a lookup by name alone
// would pick another definition or find several the client uses (local
// servers of different projects).
func (f *facts) args(extra ...any) map[string]any {
	a := map[string]any{"name": f.s.Name}
	if f.in.NameShared {
		a["client"] = f.s.Client
	}
	narrow := !f.s.Effective
	for _, o := range f.in.Others {
		narrow = narrow || o.Effective
	}
	if narrow && f.s.Scope != "" {
		a["client"], a["scope"] = f.s.Client, f.s.Scope
	}
	for i := 0; i+1 < len(extra); i += 2 {
		a[extra[i].(string)] = extra[i+1]
	}
	return a
}

// resetAction is reset_server_auth for this server.
func (f *facts) resetAction(step string) *Action {
	return &Action{Step: step, Tool: "reset_server_auth", Arguments: f.args()}
}

// diagnoseAction is diagnose for this server, with extra arguments.
func (f *facts) diagnoseAction(step string, extra ...any) *Action {
	return &Action{Step: step, Tool: "diagnose", Arguments: f.args(extra...)}
}

// loginAction is the client's own sign-in.
func (f *facts) loginAction() *Action {
	if f.isClaude() {
		return &Action{Step: fmt.Sprintf("sign in: run `claude mcp login %s` (or in a Claude Code session: /mcp → %s → Authenticate); a successful sign-in also clears Claude Code's needs-auth memory", f.s.Name, f.s.Name),
			Command: "claude mcp login " + shellWord(f.s.Name)}
	}
	return &Action{Step: fmt.Sprintf("sign in to %s from %s (its MCP settings), or configure a token in headers in %s", f.s.Name, clientTitle(f.s.Client), f.where())}
}

// gateEvidence lists the blocking gates and the log lines that show a
// session skipping the server.
func (f *facts) gateEvidence() []string {
	if !f.skip {
		return nil
	}
	var ev []string
	for _, g := range f.sess.Gates {
		e := fmt.Sprintf("gate %s (%s) in %s, key %s", g.Gate, g.Kind, g.File, g.Key)
		if g.Since != nil {
			e += ", written " + stamp(*g.Since)
		}
		if g.Until != nil {
			e += ", lapses " + stamp(*g.Until)
		}
		ev = append(ev, e)
	}
	for _, r := range f.logSkip {
		at := ""
		if r.Since != nil {
			at = stamp(*r.Since) + " "
		}
		ev = append(ev, "Claude Code's MCP log: "+at+r.Detail)
	}
	return ev
}

// logEvidence is what the client itself logged about its last failure
// (the newest error lines of Claude Code's MCP log, at most two): the
// client saw what the probe sees.
func (f *facts) logEvidence() []string {
	lines := f.logErr
	if len(lines) > 2 {
		lines = lines[len(lines)-2:]
	}
	var ev []string
	for _, r := range lines {
		ev = append(ev, "Claude Code's MCP log: "+r.Detail)
	}
	return ev
}

// gatesText is "gates A+B until T" — or, when the installed Claude Codes
// disagree, whose verdict is whose.
func (f *facts) gatesText() string {
	if !f.skip {
		return ""
	}
	if disagree(f.sess.Clients) {
		return cache.ClientsSentence(f.sess.Clients)
	}
	var gs []string
	for _, g := range f.sess.Gates {
		if w := cache.GateWords(g.Gate); len(gs) == 0 || gs[len(gs)-1] != w {
			gs = append(gs, w)
		}
	}
	t := strings.Join(gs, " and ")
	if f.sess.Until != nil {
		t += " until " + stamp(*f.sess.Until)
	}
	return t
}

// whoSkips names what skips the server: "Claude Code's next session", or
// the installed Claude Codes that skip it when they disagree.
func (f *facts) whoSkips() string {
	if f.sess == nil || !disagree(f.sess.Clients) {
		return "Claude Code's next session"
	}
	var who []string
	for _, c := range f.sess.Clients {
		if c.Action == cache.ActionSkip {
			who = append(who, c.Who)
		}
	}
	if len(who) == 0 {
		return "Claude Code's next session"
	}
	return strings.Join(who, " and ")
}

// disagree reports whether the installed Claude Codes reach different
// verdicts (then each is named), or one's version was not measured.
func disagree(cs []cache.ClientVerdict) bool {
	for _, c := range cs {
		if c.Action != cs[0].Action || c.Assumed != "" {
			return true
		}
	}
	return false
}

// probeEvidence is the probe's own account: its summary, where it stopped,
// the decisive HTTP answers.
func probeEvidence(r *probe.Result) []string {
	ev := []string{fmt.Sprintf("probe: %s in %s — %s", r.Verdict, msText(r.DurationMS), r.Summary)}
	if r.Verdict == probe.OK && r.Server != nil {
		ev[0] = fmt.Sprintf("probe: ok in %s — %s", msText(r.DurationMS), serverText(r.Server))
	}
	for _, e := range r.HTTP {
		if e.Status >= 300 || e.Error != "" {
			ev = append(ev, "http: "+exchangeText(e))
		}
	}
	if r.Error != "" && r.Error != r.Summary {
		ev = append(ev, "error: "+r.Error)
	}
	return ev
}

func exchangeText(e probe.Exchange) string {
	t := e.Method + " " + e.URL
	if e.RPC != "" {
		t += " (" + e.RPC + ")"
	}
	t += " → " + e.Outcome()
	if e.Error != "" {
		return t
	}
	for _, w := range e.WWWAuthenticate {
		t += ", WWW-Authenticate: " + w
	}
	if len(e.HeadersSent) > 0 {
		t += " [sent " + strings.Join(e.HeadersSent, ", ") + "]"
	}
	return t
}

// serverText is "name version, protocol P, N tools".
func serverText(s *probe.ServerInfo) string {
	t := strings.TrimSpace(s.Name + " " + s.Version)
	if s.ProtocolVersion != "" {
		t += ", protocol " + s.ProtocolVersion
	}
	return t + fmt.Sprintf(", %d tool%s", s.ToolCount, plural(s.ToolCount, "", "s"))
}

func msText(ms float64) string {
	if ms >= 1000 {
		return fmt.Sprintf("%.1fs", ms/1000)
	}
	return fmt.Sprintf("%.0fms", ms)
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// clientTitle is a client's name as its users know it.
func clientTitle(c string) string {
	switch c {
	case registry.ClaudeCode:
		return "Claude Code"
	case registry.ClaudeDesktop:
		return "Claude Desktop"
	case registry.Cursor:
		return "Cursor"
	case registry.VSCode:
		return "VS Code"
	case registry.Windsurf:
		return "Windsurf"
	case registry.Codex:
		return "Codex"
	case registry.Gemini:
		return "Gemini CLI"
	case registry.Zed:
		return "Zed"
	}
	return c
}

// ClientTitle is a client's name as its users know it ("Claude Code" for
// claude-code), for reports grouped by client.
func ClientTitle(client string) string { return clientTitle(client) }

// shellWord quotes s for a POSIX shell when it needs it. Server names are
// mostly [A-Za-z0-9_-]; other clients allow more.
func shellWord(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.@/:") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
