package tools

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpmend/mcpmend/cache"
	"github.com/mcpmend/mcpmend/internal/inert"
	"github.com/mcpmend/mcpmend/registry"
	"github.com/mcpmend/mcpmend/tools/bridge"
	"github.com/mcpmend/mcpmend/tools/diagnose"
	"github.com/mcpmend/mcpmend/tools/probe"
)

// DiagnoseInput is the one diagnosis entry point's arguments: a name for one
// server, none for every server.
type DiagnoseInput struct {
	Name      string  `json:"name,omitempty"`
	Client    string  `json:"client,omitempty"`
	Scope     string  `json:"scope,omitempty"`
	Timeout   float64 `json:"timeout,omitempty"`
	SkipProbe bool    `json:"skip_probe,omitempty"`
	Detail    bool    `json:"detail,omitempty"`
}

// DiagnoseOutput is what a model reads: Claude Code hands it the
// structuredContent, serialized in field order, so status, verdict and the
// one next step come first, healthy servers are a line each and evidence
// appears only with detail.
type DiagnoseOutput struct {
	Status   string                 `json:"status" jsonschema:"ok, warning or error: the most severe finding"`
	Verdict  string                 `json:"verdict" jsonschema:"the diagnosis in one line"`
	Next     *diagnose.Action       `json:"next,omitempty" jsonschema:"the one thing to do now: a tool call (tool, arguments) or a step for the user"`
	Servers  []ServerBrief          `json:"servers" jsonschema:"one entry per server judged; healthy ones in one line"`
	Files    []diagnose.FileFinding `json:"files,omitempty" jsonschema:"problems of whole configuration files"`
	Searched []registry.Location    `json:"searched,omitempty" jsonschema:"when no server was found: the files looked at"`
	Notes    []string               `json:"notes,omitempty" jsonschema:"which definition was judged when the name has several"`
	// Bridge and Bridges are set only over MCP, where mcpmend knows the
	// client running the conversation.
	Bridge  *BridgeOffer    `json:"bridge,omitempty" jsonschema:"one server: whether bridge_server can give this conversation the server's tools now"`
	Bridges []bridge.Info   `json:"bridges,omitempty" jsonschema:"the bridges active in this conversation"`
	Detail  *DiagnoseDetail `json:"detail,omitempty" jsonschema:"with detail: the full reports with evidence and, for one server, every stored record"`
	At      time.Time       `json:"at"`

	report *diagnose.Report // one server's full report, for the bridge offer
}

// ServerBrief is one server's diagnosis without evidence.
type ServerBrief struct {
	Name     string         `json:"name"`
	Client   string         `json:"client"`
	Status   string         `json:"status"`
	Verdict  string         `json:"verdict,omitempty" jsonschema:"left out when one server was asked about: the result's own verdict is that server's"`
	Scope    string         `json:"scope,omitempty" jsonschema:"given when the server is not healthy"`
	File     string         `json:"file,omitempty" jsonschema:"the configuration file, when the server is not healthy"`
	Probe    string         `json:"probe,omitempty" jsonschema:"one server: what it answered right now"`
	Session  *cache.Session `json:"session,omitempty" jsonschema:"one Claude Code server: whether the next session dials or skips it, and until when"`
	Findings []BriefFinding `json:"findings,omitempty" jsonschema:"what is wrong, most severe first; empty when healthy"`
}

// BriefFinding is a finding without its evidence.
type BriefFinding struct {
	Severity diagnose.Severity `json:"severity"`
	Code     string            `json:"code"`
	Summary  string            `json:"summary,omitempty" jsonschema:"left out when it is the server's verdict"`
	Next     *diagnose.Action  `json:"next,omitempty"`
}

// DiagnoseDetail is the evidence behind the briefs: what probe_server and
// server_state used to return as tools of their own.
type DiagnoseDetail struct {
	Reports []diagnose.Report  `json:"reports"`
	State   *ServerStateOutput `json:"state,omitempty" jsonschema:"one server: every record each client store keeps about it, and Claude Code's log lines"`
}

const diagnoseDescription = `Diagnose MCP servers configured on this machine (Claude Code, Claude Desktop, Cursor, VS Code, Windsurf, Codex, Gemini CLI, Zed) in one call. It dials each server exactly as its client would, reads what the client remembers about it (Claude Code's needs-auth memory, Claude Desktop's storage, mcp-remote files) and checks the configuration. It changes nothing; it never starts mcp-remote, nor a server from a folder its client does not trust (untrusted-folder, pending-approval).

- {"name": "github"}: one server (names are case-sensitive).
- {}: every server, when the user names none ("my MCP tools stopped working").
- client / scope choose among definitions of a shared name; skip_probe judges without dialling; timeout is seconds per probe (default: as long as the client waits).
- detail: true adds the evidence: probe exchanges, every stored record, log lines. Use it only when the user asks why.

The result leads with status (ok, warning, error), a one-line verdict and next: the one thing to do, a tool call with its arguments or a step for the user. Do next. Finding codes include stale-needs-auth (the server answers but the client skips it: next is reset_server_auth), server-auth-required (a real sign-in is needed), credential-rejected (the configured token is wrong; a reset does not help), unreachable, timeout, crashed, command-not-found. For a healthy server the client would dial, bridge says whether bridge_server can give this conversation its tools now; bridges lists the active ones.`

func addDiagnose(ts *toolSet) {
	d := ts.d
	addTool(ts, &mcp.Tool{
		Name:        "diagnose",
		Title:       "Diagnose MCP servers: what is wrong and what to do",
		Description: diagnoseDescription,
		Annotations: &mcp.ToolAnnotations{ReadOnlyHint: true, OpenWorldHint: ptr(true), DestructiveHint: ptr(false)},
	}, diagnoseSchema, func(ctx context.Context, req *mcp.CallToolRequest, in DiagnoseInput) (*mcp.CallToolResult, *DiagnoseOutput, error) {
		var progress probe.Progress
		if tok := req.Params.GetProgressToken(); tok != nil && in.Name == "" {
			progress = func(done, total int, r probe.Result) {
				_ = req.Session.NotifyProgress(ctx, &mcp.ProgressNotificationParams{ProgressToken: tok,
					Progress: float64(done), Total: float64(total), Message: fmt.Sprintf("%s (%s): %s", r.Name, r.Client, r.Verdict)})
			}
		}
		out, err := Diagnose(ctx, d, in, progress)
		if err != nil {
			return nil, nil, err
		}
		out.offerBridge(d, req.Session)
		return text(out.Text()), out, nil
	})
}

// Diagnose is the diagnosis entry point: one server by name, or every
// server.
func Diagnose(ctx context.Context, d *Deps, in DiagnoseInput, progress probe.Progress) (*DiagnoseOutput, error) {
	if in.Name == "" {
		if in.Scope != "" {
			return nil, fmt.Errorf("scope %q needs a name: scope chooses among the definitions of one server", in.Scope)
		}
		c, err := CheckupProgress(ctx, d, CheckupInput{Client: in.Client, SkipProbe: in.SkipProbe, Timeout: in.Timeout}, progress)
		if err != nil {
			return nil, err
		}
		return briefAll(c, in.Detail), nil
	}
	r, err := DiagnoseServer(ctx, d, DiagnoseServerInput{Name: in.Name, Client: in.Client, Scope: in.Scope, Timeout: in.Timeout, SkipProbe: in.SkipProbe})
	if err != nil {
		return nil, err
	}
	one := brief(r.Report, true)
	one.Verdict = "" // the result's verdict: said once
	out := &DiagnoseOutput{Status: r.Status, Verdict: r.Verdict, Servers: []ServerBrief{one}, Notes: r.Notes, At: r.At}
	out.Next = firstNext(r.Report)
	out.report = &r.Report
	if in.Detail {
		out.Detail = &DiagnoseDetail{Reports: []diagnose.Report{r.Report}}
		st, err := ServerState(ctx, d, ServerStateInput{Name: r.Server.Name, Client: r.Server.Client, Scope: r.Server.Scope})
		if err == nil {
			out.Detail.State = st
		}
	}
	return out, nil
}

// briefAll condenses a checkup: the verdict counts, next is the first
// broken server's first step.
func briefAll(c *CheckupOutput, detail bool) *DiagnoseOutput {
	out := &DiagnoseOutput{Status: c.Status, Servers: []ServerBrief{}, Files: c.Files, Searched: c.Searched, At: c.At}
	k := c.Counts
	out.Verdict = fmt.Sprintf("%d server(s): %d ok, %d with warnings, %d with errors", k.Servers, k.OK, k.Warning, k.Error)
	if len(c.Files) > 0 {
		out.Verdict += fmt.Sprintf("; %d configuration file problem(s)", len(c.Files))
	}
	if k.Servers == 0 {
		out.Verdict = "no MCP servers are configured for the clients looked at"
	}
	// First the most severe problem mcpmend can fix itself (a tool call),
	// then one only the user can.
	for _, want := range []string{string(diagnose.Error), string(diagnose.Warning)} {
		for _, byTool := range []bool{true, false} {
			for _, r := range c.Servers {
				if n := firstNext(r); r.Status == want && out.Next == nil && n != nil && (n.Tool != "") == byTool {
					out.Next = n
					out.Verdict += " — first: " + r.Server.Name + " (" + r.Server.Client + ")" // its entry has the verdict
				}
			}
		}
	}
	for _, r := range c.Servers {
		out.Servers = append(out.Servers, brief(r, false))
	}
	if detail {
		out.Detail = &DiagnoseDetail{Reports: c.Servers}
	}
	return out
}

// firstNext is the report's most severe finding's next step, stripped of
// the shell command when a tool does it.
func firstNext(r diagnose.Report) *diagnose.Action {
	for _, f := range r.Findings {
		if f.Next != nil && f.Severity != diagnose.Info {
			return forTool(f.Next)
		}
	}
	return nil
}

// forTool drops the CLI equivalent of a tool call: the model calls the tool.
func forTool(a *diagnose.Action) *diagnose.Action {
	if a == nil {
		return nil
	}
	c := *a
	if c.Tool != "" {
		c.Command = ""
	}
	return &c
}

// brief is one report without evidence; a healthy server is its identity,
// status and verdict only unless it is the one server asked about.
func brief(r diagnose.Report, one bool) ServerBrief {
	b := ServerBrief{Name: r.Server.Name, Client: r.Server.Client, Status: r.Status, Verdict: r.Verdict}
	if r.Status != diagnose.StatusOK || one {
		b.Scope, b.File = r.Server.Scope, r.Server.File
	}
	if one {
		b.Probe = probeLine(r)
		if r.Session != nil {
			s := *r.Session
			s.Gates = nil // the gates' records are evidence: detail has them
			b.Session = &s
		}
	}
	if r.Status == diagnose.StatusOK && !one {
		return b
	}
	for _, f := range r.Findings {
		bf := BriefFinding{Severity: f.Severity, Code: f.Code, Summary: f.Summary, Next: forTool(f.Next)}
		if bf.Summary == r.Verdict {
			bf.Summary = "" // the verdict already says it
		}
		b.Findings = append(b.Findings, bf)
	}
	return b
}

// Text renders the diagnosis with the same information as the structured
// result, in the same order.
func (o *DiagnoseOutput) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s — %s\n", statusWord(o.Status), inert.Line(o.Verdict))
	if o.Next != nil {
		fmt.Fprintf(&b, "Next: %s\n", inert.Line(forModel.actionText(*o.Next)))
	}
	for _, s := range o.Servers {
		fmt.Fprintf(&b, "%-7s %s (%s", statusWord(s.Status), inert.Line(s.Name), s.Client)
		if s.Scope != "" {
			fmt.Fprintf(&b, " %s, %s", s.Scope, inert.Line(s.File))
		}
		if s.Verdict == "" {
			b.WriteString(")\n") // the one server asked about: the first line is its verdict
		} else {
			fmt.Fprintf(&b, "): %s\n", inert.Line(s.Verdict))
		}
		if s.Probe != "" {
			fmt.Fprintf(&b, "  %s\n", inert.Line(s.Probe))
		}
		if s.Session != nil {
			fmt.Fprintf(&b, "  Next Claude Code session: %s", strings.ToUpper(s.Session.Action))
			if s.Session.Until != nil {
				fmt.Fprintf(&b, " until %s", s.Session.Until.UTC().Format(time.RFC3339))
			}
			fmt.Fprintf(&b, " — %s\n", inert.Line(s.Session.Reason))
		}
		for _, f := range s.Findings {
			if f.Summary == "" {
				fmt.Fprintf(&b, "  %s %s\n", f.Severity, f.Code)
			} else {
				fmt.Fprintf(&b, "  %s %s: %s\n", f.Severity, f.Code, inert.Line(f.Summary))
			}
			if f.Next != nil {
				fmt.Fprintf(&b, "    → %s\n", inert.Line(forModel.actionText(*f.Next)))
			}
		}
	}
	for _, f := range o.Files {
		forModel.writeFinding(&b, f.Finding, "", false)
	}
	writeSearched(&b, o.Searched)
	writeBridge(&b, o.Bridge, o.Bridges)
	for _, n := range o.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	if o.Detail != nil {
		b.WriteString("\nDetail:\n")
		for _, r := range o.Detail.Reports {
			(&DiagnoseServerOutput{Report: r}).renderEvidence(&b)
		}
		if o.Detail.State != nil {
			b.WriteString(o.Detail.State.Text())
		}
	}
	return b.String()
}

// renderEvidence writes one report's findings with their evidence.
func (o *DiagnoseServerOutput) renderEvidence(b *strings.Builder) {
	fmt.Fprintf(b, "%s (%s):\n", inert.Line(o.Server.Name), o.Server.Client)
	for _, f := range o.Findings {
		forModel.writeFinding(b, f, "  ", true)
	}
	if o.State != nil && o.State.Notable() {
		fmt.Fprintf(b, "  Client memory: %s\n", o.State.Text())
	}
}

// offerBridge adds, over MCP, the bridges active in this conversation and,
// for one healthy server the client would dial, whether bridge_server can
// give this conversation its tools now; with nothing else to do, that offer
// is the next step.
func (o *DiagnoseOutput) offerBridge(d *Deps, ss *mcp.ServerSession) {
	o.Bridges = d.activeBridges(ss)
	r := o.report
	if r == nil {
		return
	}
	healthy := r.Probe != nil && r.Probe.Verdict == probe.OK
	o.Bridge = bridgeOffer(d, ss, r.Server, healthy, r.Session)
	if o.Next == nil && o.Bridge != nil && o.Bridge.Offered {
		o.Next = &diagnose.Action{Step: o.Bridge.Next, Tool: o.Bridge.Tool, Arguments: o.Bridge.Args}
	}
}
