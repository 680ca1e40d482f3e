package tools

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/mcpmend/mcpmend/internal/inert"
	"github.com/mcpmend/mcpmend/registry"
	"github.com/mcpmend/mcpmend/tools/bridge"
	"github.com/mcpmend/mcpmend/tools/diagnose"
)

// DiagnoseServerInput names the server to diagnose.
type DiagnoseServerInput struct {
	Name      string  `json:"name" jsonschema:"the server's name exactly as list_servers shows it (case-sensitive)"`
	Client    string  `json:"client,omitempty" jsonschema:"the client whose definition to diagnose, when several clients configure this name: claude-code, claude-desktop, cursor, vscode, windsurf, codex, gemini or zed"`
	Scope     string  `json:"scope,omitempty" jsonschema:"the scope (user, local, project, …) of the definition; by default the effective one"`
	Timeout   float64 `json:"timeout,omitempty" jsonschema:"seconds the probe may take, 1 to 120 (default: as long as the server's client waits — Claude Code 30 or MCP_TIMEOUT, Codex startup_timeout_sec, others 60)"`
	SkipProbe bool    `json:"skip_probe,omitempty" jsonschema:"judge from the configuration and the client's memory only; do not start or dial the server (a stdio command is still looked up on the client's PATH)"`
}

// DiagnoseServerOutput is the diagnosis of one server: the report (identity,
// status, one-line verdict, findings with next actions, probe and session
// summaries), notes on which definition was judged, and when.
type DiagnoseServerOutput struct {
	diagnose.Report
	Notes []string  `json:"notes,omitempty" jsonschema:"which definition was judged when the name has several"`
	At    time.Time `json:"at" jsonschema:"when the client's stores were judged"`
	// Bridge and Bridges are set only over MCP, where mcpmend knows the
	// client running the conversation.
	Bridge  *BridgeOffer  `json:"bridge,omitempty" jsonschema:"whether bridge_server can give this conversation the server's tools now"`
	Bridges []bridge.Info `json:"bridges,omitempty" jsonschema:"the bridges active in this conversation"`
}

// DiagnoseServer finds the server, probes it (unless told not to, or it is
// an unapproved project server), reads its client's memory and judges.
func DiagnoseServer(ctx context.Context, d *Deps, in DiagnoseServerInput) (*DiagnoseServerOutput, error) {
	opts, err := probeOptions(d, in.Timeout)
	if err != nil {
		return nil, err
	}
	inv := registry.Discover(d.Env)
	srv, note, err := findServerNote(inv, in.Name, in.Client, in.Scope)
	if err != nil {
		// A Claude Desktop connector is in no config file; its name still
		// resolves when Desktop's Local Storage holds items for it.
		if c, cerr := findServerOrConnector(ctx, d.Env, inv, in.Name, in.Client, in.Scope); cerr == nil {
			srv, note, err = c, connectorNote, nil
		}
	}
	if err != nil {
		if len(inv.Problems) > 0 {
			err = fmt.Errorf("%w (also %d problem(s) in configuration files, which may hide it: diagnose with no name shows them)", err, len(inv.Problems))
		}
		return nil, err
	}
	job := diagnose.Job{Server: srv, Probe: true}
	switch {
	case in.SkipProbe:
		job.Probe, job.NotProbed, job.Resolve = false, "probing was turned off", !unapproved(srv) && srv.Scope != ScopeConnector
	case srv.Scope == ScopeConnector:
		job.Probe, job.NotProbed = false, connectorNotProbed
	case unapproved(srv):
		job.Probe, job.NotProbed = false, notDialled(srv, false)
	}
	now := d.now()
	reports := diagnose.Run(ctx, []diagnose.Job{job}, diagnose.Options{Env: d.Env, Now: now, Inventory: inv, Probe: opts})
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("diagnosis of %s cancelled: %w", srv.ID(), err)
	}
	out := &DiagnoseServerOutput{Report: reports[0], At: now.UTC()}
	if note != "" {
		out.Notes = append(out.Notes, note)
	}
	return out, nil
}

// Text renders the diagnosis for a model: next steps are tool calls.
func (o *DiagnoseServerOutput) Text() string { return o.render(forModel) }

// HumanText renders the diagnosis for a person: next steps are commands.
func (o *DiagnoseServerOutput) HumanText() string { return o.render(forHuman) }

// render renders the diagnosis: identity, verdict, probe and session in one
// line each, then every finding with its evidence and next step.
func (o *DiagnoseServerOutput) render(au audience) string {
	var b strings.Builder
	r := o.Report
	s := r.Server
	fmt.Fprintf(&b, "%s  %s  %s %s  %s\n", inert.Line(s.Name), s.Transport, s.Client, scopeText(s), target(s))
	if s.File != "" {
		fmt.Fprintf(&b, "  defined in %s (%s)\n", inert.Line(s.File), inert.Line(s.Path))
	}
	fmt.Fprintf(&b, "Verdict: %s — %s\n", statusWord(r.Status), inert.Line(r.Verdict))
	b.WriteString(probeLine(r) + "\n")
	if r.Session != nil {
		fmt.Fprintf(&b, "Next Claude Code session: %s", strings.ToUpper(r.Session.Action))
		if r.Session.Until != nil {
			fmt.Fprintf(&b, " until %s", r.Session.Until.UTC().Format(time.RFC3339))
		}
		fmt.Fprintf(&b, " — %s\n", inert.Line(r.Session.Reason))
	}
	if r.State != nil && r.State.Notable() {
		fmt.Fprintf(&b, "Client memory: %s\n", r.State.Text())
	}
	if len(r.Findings) == 0 {
		b.WriteString("No findings: nothing is wrong.\n")
	} else {
		b.WriteString("Findings:\n")
	}
	for _, f := range r.Findings {
		au.writeFinding(&b, f, "  ", true)
	}
	for _, n := range o.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	writeBridge(&b, o.Bridge, o.Bridges)
	return b.String()
}

// probeLine is the probe's gist, or why there was none.
func probeLine(r diagnose.Report) string {
	p := r.Probe
	switch {
	case p == nil && r.NotProbed != "":
		return "Probe: not dialled — " + r.NotProbed
	case p == nil:
		return "Probe: not dialled"
	}
	line := fmt.Sprintf("Probe: %s in %s", p.Verdict, msText(p.DurationMS))
	if p.Phase != "" && p.Verdict != "ok" {
		line += " (" + p.Phase + ")"
	}
	if p.Server != nil {
		line += fmt.Sprintf(" — %s %s, protocol %s, %d tools", p.Server.Name, p.Server.Version, p.Server.ProtocolVersion, p.Server.ToolCount)
	} else if p.Summary != "" {
		line += " — " + p.Summary
	}
	return inert.Line(line)
}

// writeFinding renders one finding; evidence only when asked (checkup's
// overview leaves it to diagnose_server).
func (au audience) writeFinding(b *strings.Builder, f diagnose.Finding, indent string, evidence bool) {
	fmt.Fprintf(b, "%s%s %s: %s\n", indent, f.Severity, f.Code, inert.Line(f.Summary))
	if evidence {
		for _, e := range f.Evidence {
			fmt.Fprintf(b, "%s    | %s\n", indent, inert.Line(e))
		}
	}
	if f.Next != nil {
		fmt.Fprintf(b, "%s  → %s\n", indent, inert.Line(au.actionText(*f.Next)))
	}
}

func statusWord(s string) string {
	switch s {
	case string(diagnose.Error):
		return "ERROR"
	case string(diagnose.Warning):
		return "WARNING"
	}
	return "OK"
}
