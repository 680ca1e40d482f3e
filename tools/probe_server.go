package tools

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mcpmend/mcpmend/internal/inert"
	"github.com/mcpmend/mcpmend/registry"
	"github.com/mcpmend/mcpmend/tools/probe"
)

// ProbeServerInput names the server(s) to probe.
type ProbeServerInput struct {
	Name    string  `json:"name,omitempty" jsonschema:"the server's name exactly as list_servers shows it (case-sensitive); omit with all"`
	Client  string  `json:"client,omitempty" jsonschema:"the client whose definition to dial (claude-code, claude-desktop, cursor, vscode, windsurf, codex, gemini or zed); with all, only this client's servers"`
	Scope   string  `json:"scope,omitempty" jsonschema:"the scope (user, local, project, …) of the definition to dial; by default the effective one; with all, only this scope"`
	Timeout float64 `json:"timeout,omitempty" jsonschema:"seconds each probe may take, 1 to 120 (default: as long as the server's client waits — Claude Code 30 or MCP_TIMEOUT, Codex startup_timeout_sec, others 60)"`
	All     bool    `json:"all,omitempty" jsonschema:"probe every configured server (each client's effective definitions), concurrently"`
	// AllowSideEffects is the user's explicit consent to start a process
	// that may open a browser or write state (mcp-remote started as is).
	AllowSideEffects bool `json:"allow_side_effects,omitempty" jsonschema:"start mcp-remote itself instead of dialling its remote directly, although it may register an OAuth client, write ~/.mcp-auth and open a browser; set it only when the user asked for exactly that"`
}

// ProbeServerOutput is one result per probed server, in list_servers order.
type ProbeServerOutput struct {
	Results []probe.Result `json:"results"`
	Failed  int            `json:"failed" jsonschema:"how many probes did not end ok"`
	Notes   []string       `json:"notes,omitempty" jsonschema:"which definition was dialled when a name has several, servers all skipped"`
}

// ProbeServer probes the named server, or every server with All.
func ProbeServer(ctx context.Context, d *Deps, in ProbeServerInput) (*ProbeServerOutput, error) {
	return ProbeServerProgress(ctx, d, in, nil)
}

// ProbeServerProgress is ProbeServer telling progress about each finished
// probe (the CLI's progress bar, MCP progress notifications).
func ProbeServerProgress(ctx context.Context, d *Deps, in ProbeServerInput, progress probe.Progress) (*ProbeServerOutput, error) {
	opts, err := probeOptions(d, in.Timeout)
	if err != nil {
		return nil, err
	}
	opts.AllowSideEffects = in.AllowSideEffects
	servers, notes, err := probeTargets(registry.Discover(d.Env), in)
	if err != nil {
		return nil, err
	}
	out := &ProbeServerOutput{Notes: notes}
	out.Results = probe.ProbeAll(ctx, servers, opts, progress)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("probe cancelled: %w", err)
	}
	for _, r := range out.Results {
		if r.Verdict.Failed() {
			out.Failed++
		}
	}
	return out, nil
}

// probeOptions turns the tool's input and mcpmend's environment into probe
// options: under --home, servers see that home as HOME.
func probeOptions(d *Deps, timeout float64) (probe.Options, error) {
	if timeout != 0 && (timeout < 1 || timeout > 120) {
		return probe.Options{}, fmt.Errorf("timeout %v: give seconds between 1 and 120", timeout)
	}
	environ := os.Environ()
	if d.Env.HomeOverridden {
		environ = append(environ, "HOME="+d.Env.Home)
		if runtime.GOOS == "windows" {
			environ = append(environ, "USERPROFILE="+d.Env.Home)
		}
	}
	// Dir is only the fallback for a server the registry placed nowhere:
	// home, never mcpmend's own directory (a repository's
	// node_modules/.bin must not shadow what npx resolves).
	return probe.Options{Timeout: time.Duration(timeout * float64(time.Second)), Environ: environ, Dir: d.Env.Home,
		ClientVersion: Version, Logger: d.Logger}, nil
}

// probeTargets picks the servers to probe. Project servers the user has not
// approved are never started: running them is exactly what the client's
// approval prompt guards against.
func probeTargets(inv *registry.Inventory, in ProbeServerInput) ([]registry.Server, []string, error) {
	if in.Client != "" && !validClient(in.Client) {
		return nil, nil, fmt.Errorf("unknown client %q: use one of %s", in.Client, strings.Join(registry.Clients(), ", "))
	}
	if !in.All {
		if in.Name == "" {
			return nil, nil, fmt.Errorf("name is required (or all: true to probe every server)")
		}
		s, note, err := findServerNote(inv, in.Name, in.Client, in.Scope)
		if err != nil {
			return nil, nil, err
		}
		// An untrusted server is not started: probe.Probe answers
		// not_trusted with how to trust it in its client.
		var notes []string
		if note != "" {
			notes = append(notes, note)
		}
		return []registry.Server{s}, notes, nil
	}
	if in.Name != "" {
		return nil, nil, fmt.Errorf("give either name or all, not both")
	}
	out := make([]registry.Server, 0, len(inv.Servers)) // no regrowth on thousands of servers
	skipped := 0
	for _, s := range inv.Servers {
		if in.Client != "" && s.Client != in.Client || in.Scope != "" && s.Scope != in.Scope {
			continue
		}
		if s.Disabled || unapproved(s) {
			if s.Effective || s.ShadowedBy == "" { // not merely a shadowed copy
				skipped++
			}
			continue
		}
		if s.Effective {
			out = append(out, s)
		}
	}
	var notes []string
	if skipped > 0 {
		notes = append(notes, fmt.Sprintf("skipped %d disabled, unapproved or untrusted server(s); probe one by name to include a disabled one (an untrusted one is never started)", skipped))
	}
	return out, notes, nil
}

// unapproved reports whether s's client would refuse to run it: a project
// server not approved, or from a folder the client does not trust.
// mcpmend never starts or dials such a server.
func unapproved(s registry.Server) bool {
	return s.Untrusted || s.Approval == registry.Pending || s.Approval == registry.Rejected
}

// Text renders a table, one probe a line, then the evidence for every
// failed probe (and for a lone probe, whatever its verdict).
func (o *ProbeServerOutput) Text() string {
	var b strings.Builder
	for _, n := range o.Notes {
		b.WriteString("note: " + n + "\n")
	}
	if len(o.Results) == 0 {
		b.WriteString("No servers to probe.\n")
		return b.String()
	}
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "VERDICT\tSERVER\tCLIENT/SCOPE\tTRANSPORT\tTIME\tWHAT")
	for _, r := range o.Results {
		fmt.Fprintf(tw, "%s\t%s\t%s/%s\t%s\t%s\t%s\n", r.Verdict, inert.Line(r.Name), r.Client, r.Scope, r.Transport, msText(r.DurationMS), inert.Line(headline(r)))
	}
	tw.Flush()
	for _, r := range o.Results {
		if r.Verdict.Failed() || len(o.Results) == 1 || len(r.Notes) > 0 {
			b.WriteString("\n")
			details(&b, r)
		}
	}
	if len(o.Results) > 1 {
		fmt.Fprintf(&b, "\n%d of %d probes failed.\n", o.Failed, len(o.Results))
	}
	return b.String()
}

// headline is a result's one-line gist for the table.
func headline(r probe.Result) string {
	if r.Verdict.Failed() {
		return cut(r.Summary, 90)
	}
	s := r.Server
	if s == nil {
		return ""
	}
	h := strings.TrimSpace(s.Name+" "+s.Version) + ", " + s.ProtocolVersion
	if s.ToolCount > 0 || containsStr(s.Capabilities, "tools") {
		h += fmt.Sprintf(", %d tools", s.ToolCount)
	}
	return h
}

// details writes one result's evidence.
func details(b *strings.Builder, r probe.Result) {
	fmt.Fprintf(b, "%s (%s/%s, %s): %s", inert.Line(r.Name), r.Client, r.Scope, inert.Line(r.Target), r.Verdict)
	if r.Phase != "" {
		fmt.Fprintf(b, " in %s", r.Phase)
	}
	b.WriteString("\n")
	if r.Summary != "" {
		fmt.Fprintf(b, "  %s\n", inert.Line(r.Summary))
	}
	if s := r.Server; s != nil {
		fmt.Fprintf(b, "  server: %s %s, protocol %s via %s, capabilities: %s\n", inert.Line(s.Name), inert.Line(s.Version), inert.Line(s.ProtocolVersion), s.Handshake, inert.Line(strings.Join(s.Capabilities, ", ")))
		if len(s.Tools) > 0 {
			more := ""
			if s.ToolCount > len(s.Tools) {
				more = fmt.Sprintf(" … (%d in all)", s.ToolCount)
			}
			fmt.Fprintf(b, "  tools: %s%s\n", inert.Line(strings.Join(s.Tools, ", ")), more)
		}
	}
	fmt.Fprintf(b, "  phases: %s\n", phasesText(r.Phases))
	for _, e := range r.HTTP {
		fmt.Fprintf(b, "  http: %s\n", inert.Line(exchangeText(e)))
	}
	if a := r.Auth; a != nil {
		authText(b, a)
	}
	if p := r.Process; p != nil {
		if p.ExitCode != nil {
			fmt.Fprintf(b, "  exit code: %d\n", *p.ExitCode)
		}
		if p.Signal != "" {
			fmt.Fprintf(b, "  killed by: %s\n", p.Signal)
		}
		if p.StderrTail != "" && (r.Verdict.Failed() || len(r.Notes) > 0) {
			b.WriteString("  stderr (last lines):\n")
			for _, l := range lastLines(p.StderrTail, 8) {
				fmt.Fprintf(b, "    | %s\n", inert.Line(l))
			}
		}
	}
	if r.Error != "" && r.Error != r.Summary {
		fmt.Fprintf(b, "  error: %s\n", inert.Line(r.Error))
	}
	for _, n := range r.Notes {
		fmt.Fprintf(b, "  note: %s\n", inert.Line(n))
	}
}

func phasesText(ps []probe.PhaseTiming) string {
	var parts []string
	for _, p := range ps {
		t := p.Name + " " + msText(p.MS)
		if !p.OK {
			t += " (failed)"
		}
		var steps []string
		for _, s := range p.Steps {
			st := s.Method + " " + msText(s.MS)
			if s.Error != "" {
				st += ": " + cut(s.Error, 80)
			}
			steps = append(steps, st)
		}
		if len(steps) > 0 {
			t += " [" + strings.Join(steps, "; ") + "]"
		}
		parts = append(parts, t)
	}
	return strings.Join(parts, ", ")
}

func exchangeText(e probe.Exchange) string {
	t := e.Method + " " + e.URL
	if e.RPC != "" {
		t += " (" + e.RPC + ")"
	}
	t += " → " + e.Outcome()
	if e.Error == "" && e.ContentType != "" {
		t += " " + e.ContentType
	}
	if e.Location != "" {
		t += ", Location: " + e.Location
	}
	for _, w := range e.WWWAuthenticate {
		t += ", WWW-Authenticate: " + w
	}
	if len(e.HeadersSent) > 0 {
		t += " [sent " + strings.Join(e.HeadersSent, ", ") + "]"
	}
	return t + " " + msText(e.MS)
}

func authText(b *strings.Builder, a *probe.AuthEvidence) {
	if a.Error != "" {
		fmt.Fprintf(b, "  challenge error: %s", a.Error)
		if a.Scope != "" {
			fmt.Fprintf(b, " (scope %s)", a.Scope)
		}
		b.WriteString("\n")
	}
	o := a.OAuth
	if o == nil {
		return
	}
	if o.ResourceMetadataURL != "" {
		fmt.Fprintf(b, "  oauth: resource metadata %s → authorization servers %s\n", o.ResourceMetadataURL, strings.Join(o.AuthorizationServers, ", "))
	} else if o.RootFallback {
		b.WriteString("  oauth: no protected-resource metadata; the server's origin was tried as authorization server\n")
	}
	if o.Found {
		reg := "no dynamic client registration"
		if o.DynamicRegistration {
			reg = "dynamic client registration at " + o.RegistrationEndpoint
		}
		fmt.Fprintf(b, "  oauth: authorization server metadata %s (issuer %s), %s\n", o.AuthServerMetadataURL, o.Issuer, reg)
	}
	for _, p := range o.Problems {
		fmt.Fprintf(b, "  oauth problem: %s\n", p)
	}
}

func msText(ms float64) string {
	if ms >= 1000 {
		return fmt.Sprintf("%.1fs", ms/1000)
	}
	return fmt.Sprintf("%.0fms", ms)
}

func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func lastLines(s string, n int) []string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines
}

func containsStr(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
