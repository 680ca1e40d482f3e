package diagnose

import (
	"fmt"
	"strings"

	"github.com/mcpmend/mcpmend/cache"
	"github.com/mcpmend/mcpmend/cache/credentials"
	"github.com/mcpmend/mcpmend/cache/mcpremote"
	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/tools/probe"
)

// Codes of findings about what the client's stores hold beyond the gates.
const (
	CodeStoreDamaged        = "store-damaged"        // a store exists but cannot be read faithfully
	CodeOrphanedCredentials = "orphaned-credentials" // entries filed under an earlier url/headers
	CodeMCPRemoteState      = "mcp-remote-state"     // mcp-remote keeps a registration or sign-in for a failing server
	CodeDesktopMemory       = "desktop-memory"       // Claude Desktop's Local Storage holds items for the name
	CodeLinkedCredentials   = "linked-credentials"   // .credentials.json is a symlink or hard-linked
)

// stateFindings judges the stores' records that the gates do not cover.
func (f *facts) stateFindings() []Finding {
	if f.in.State == nil {
		return nil
	}
	var out []Finding
	for _, d := range f.in.State.Damage {
		x := Finding{Severity: Warning, Code: CodeStoreDamaged,
			Summary:  fmt.Sprintf("%s (%s) cannot be read faithfully: %s; mcpmend will not write a store it cannot read, and what the client makes of it is unknown", d.File, d.Store, d.Reason),
			Evidence: []string{d.Store + " " + d.File + ": " + d.Reason},
			Next:     &Action{Step: "look at " + d.File + " (the client that owns it may rewrite it on its next start); then diagnose again"}}
		if f.sess != nil && f.sess.Action == cache.ActionUnknown {
			x.Severity = Error
			x.Summary += "; so whether Claude Code's next session connects to the server cannot be told"
		}
		out = append(out, x)
	}
	var orphans, remote, desktop []string
	keyed := 0
	for _, r := range f.records {
		switch {
		case r.Kind == credentials.KindLinkedFile:
			out = append(out, linkedCredentials(r))
		case r.Kind == credentials.KindOrphanedOAuth || r.Kind == credentials.KindOrphanedClientConfig:
			orphans = append(orphans, r.Key+" in "+r.File+": "+r.Detail)
		case r.Store == store.MCPRemote && r.Kind != mcpremote.KindLease:
			remote = append(remote, r.Kind+" "+r.File+": "+r.Detail)
		case r.Store == store.Desktop:
			desktop = append(desktop, r.Kind+" "+r.Key+": "+r.Detail)
			if r.Resettable {
				keyed++
			}
		}
	}
	if len(orphans) > 0 {
		out = append(out, Finding{Severity: Info, Code: CodeOrphanedCredentials,
			Summary:  fmt.Sprintf("Claude Code keeps %d credentials entr%s for an earlier url or headers of %s; it never reads them", len(orphans), plural(len(orphans), "y", "ies"), f.s.Name),
			Evidence: orphans,
			Next: &Action{Step: "harmless; a reset that forgets tokens removes them — together with the current tokens, so a new sign-in follows",
				Tool: "reset_server_auth", Arguments: f.args("forget_tokens", true)}})
	}
	if len(remote) > 0 && f.in.Probe != nil && f.in.Probe.Verdict != probe.OK && !signInOrRemote(f.in.Probe) {
		out = append(out, Finding{Severity: Warning, Code: CodeMCPRemoteState,
			Summary:  fmt.Sprintf("mcp-remote keeps a registration, tokens or an unfinished sign-in for %s's url while the server fails: a registration the server no longer knows keeps failing the same way", f.s.Name),
			Evidence: remote,
			Next:     f.resetAction("clear mcp-remote's registration and sign-in files for this server (tokens are kept), then restart the server in its client")})
	}
	if len(desktop) > 0 {
		out = append(out, Finding{Severity: Info, Code: CodeDesktopMemory,
			Summary:  desktopSummary(f.s.Name, keyed, len(desktop)-keyed),
			Evidence: desktop,
			Next:     &Action{Step: "see every item in full", Tool: "diagnose", Arguments: f.args("detail", true)}})
	}
	return out
}

// desktopSummary counts what Claude Desktop's Local Storage holds for a
// name: the items whose key names it (a reset removes them) apart from
// those that only mention it (a reset leaves them).
func desktopSummary(name string, keyed, mentions int) string {
	var parts []string
	if keyed > 0 {
		parts = append(parts, fmt.Sprintf("%d item%s keyed by the name %s (a reset removes %s)", keyed, plural(keyed, "", "s"), name, plural(keyed, "it", "them")))
	}
	if mentions > 0 {
		parts = append(parts, fmt.Sprintf("%d that only mention%s it (a reset leaves %s alone)", mentions, plural(mentions, "s", ""), plural(mentions, "it", "them")))
	}
	if keyed == 0 {
		parts[0] = fmt.Sprintf("%d item%s that only mention%s %s (a reset leaves %s alone)", mentions, plural(mentions, "", "s"), plural(mentions, "s", ""), name, plural(mentions, "it", "them"))
	}
	return "Claude Desktop's Local Storage holds " + strings.Join(parts, " and ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// healthyLine says why a server with nothing wrong is healthy.
func healthyLine(in Input, fs []Finding) string {
	var parts []string
	switch r := in.Probe; {
	case r != nil && r.Verdict == probe.OK && r.Server != nil:
		parts = append(parts, "answers ("+serverText(r.Server)+")")
	case r != nil && r.Verdict == probe.OK:
		parts = append(parts, "answers")
	case r == nil && in.NotProbed != "":
		parts = append(parts, "no problem found without dialling it ("+in.NotProbed+")")
	}
	for _, x := range fs {
		if x.Code == CodeOAuthTokenStored {
			parts = append(parts, "requires OAuth, and Claude Code holds a usable token")
		}
	}
	if in.State != nil && in.State.Session != nil && in.State.Session.Action == cache.ActionDial {
		parts = append(parts, "the next Claude Code session connects to it")
	}
	if len(parts) == 0 {
		return "healthy"
	}
	line := "healthy: " + parts[0]
	for _, p := range parts[1:] {
		line += "; " + p
	}
	return line
}

// signInOrRemote reports a bridged probe whose verdict no file removal
// fixes: the remote wants a sign-in, or cannot be reached.
func signInOrRemote(r *probe.Result) bool {
	if r.Bridge == nil {
		return false
	}
	switch r.Verdict {
	case probe.AuthRequired, probe.AuthRejected, probe.Unreachable, probe.Forbidden:
		return true
	}
	return false
}

// linkedCredentials is the finding for a .credentials.json that is a
// symlink or hard-linked (a dotfiles manager's): Claude Code splits it on
// its next write, and a reset refuses to touch it.
func linkedCredentials(r store.Record) Finding {
	return Finding{Severity: Warning, Code: CodeLinkedCredentials,
		Summary:  r.Detail,
		Evidence: []string{r.Store + " " + r.File + ": " + r.Kind},
		Next: &Action{Step: "make " + r.File + " a plain file of its own (cp " + r.File + " " + r.File + ".copy && mv " + r.File + ".copy " + r.File +
			" keeps its content and drops the link) and keep it out of the dotfiles tool's links; then diagnose again"}}
}
