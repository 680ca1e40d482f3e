package tools

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mcpmend/mcpmend/internal/inert"
	"github.com/mcpmend/mcpmend/registry"
	"github.com/mcpmend/mcpmend/tools/diagnose"
	"github.com/mcpmend/mcpmend/tools/jsonout"
	"github.com/mcpmend/mcpmend/tools/probe"
)

// CheckupInput narrows a checkup. Every field is optional.
type CheckupInput struct {
	Client    string  `json:"client,omitempty" jsonschema:"only this client's servers: claude-code, claude-desktop, cursor, vscode, windsurf, codex, gemini or zed"`
	SkipProbe bool    `json:"skip_probe,omitempty" jsonschema:"judge from configuration and client memory only; start and dial nothing (a stdio command is still looked up on the client's PATH)"`
	Timeout   float64 `json:"timeout,omitempty" jsonschema:"seconds each probe may take, 1 to 120 (default: as long as the server's client waits — Claude Code 30 or MCP_TIMEOUT, Codex startup_timeout_sec, others 60)"`
}

// CheckupOutput is the diagnosis of every configured server, plus the
// problems of configuration files that belong to no single server.
type CheckupOutput struct {
	Status  string                 `json:"status" jsonschema:"ok, warning or error: the most severe finding anywhere"`
	Servers []diagnose.Report      `json:"servers" jsonschema:"one report per server definition a client uses (or ignores for a reason worth knowing), in list_servers order"`
	Files   []diagnose.FileFinding `json:"files,omitempty" jsonschema:"problems of whole configuration files: a file that does not parse, a file the client no longer reads"`
	Counts  CheckupCounts          `json:"counts"`
	// Searched is filled when no server was found: where mcpmend looked.
	Searched []registry.Location `json:"searched,omitempty" jsonschema:"when no server was found: the configuration files looked at, per client, and whether each exists"`
	At       time.Time           `json:"at" jsonschema:"when the client's stores were judged"`
}

// CheckupCounts counts the servers by status.
type CheckupCounts struct {
	Servers int `json:"servers"`
	OK      int `json:"ok"`
	Warning int `json:"warning"`
	Error   int `json:"error"`
}

// Checkup diagnoses every configured server.
func Checkup(ctx context.Context, d *Deps, in CheckupInput) (*CheckupOutput, error) {
	return CheckupProgress(ctx, d, in, nil)
}

// CheckupProgress is Checkup telling progress about each finished probe.
// The servers dialled are exactly probe_server {all}'s (each client's
// effective, enabled, approved definitions), through the same concurrent
// engine; the others are judged without dialling.
func CheckupProgress(ctx context.Context, d *Deps, in CheckupInput, progress probe.Progress) (*CheckupOutput, error) {
	opts, err := probeOptions(d, in.Timeout)
	if err != nil {
		return nil, err
	}
	inv := registry.Discover(d.Env)
	targets, _, err := probeTargets(inv, ProbeServerInput{All: true, Client: in.Client})
	if err != nil {
		return nil, err
	}
	dial := map[string]bool{}
	for _, s := range targets {
		dial[definitionKey(s)] = true
	}
	var jobs []diagnose.Job
	for _, s := range inv.Servers {
		if in.Client != "" && s.Client != in.Client || !s.Effective && s.ShadowedBy != "" {
			continue // a shadowed copy: the definition that wins is reported
		}
		job := diagnose.Job{Server: s, Probe: dial[definitionKey(s)] && !in.SkipProbe, Resolve: dial[definitionKey(s)]}
		if !job.Probe {
			job.NotProbed = notDialled(s, in.SkipProbe)
		}
		jobs = append(jobs, job)
	}
	if in.Client == "" || in.Client == registry.ClaudeDesktop {
		jobs = append(jobs, connectorJobs(ctx, d.Env, inv)...)
	}
	now := d.now()
	out := &CheckupOutput{Servers: diagnose.Run(ctx, jobs, diagnose.Options{Env: d.Env, Now: now, Inventory: inv, Probe: opts, Progress: progress}),
		At: now.UTC()}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("checkup cancelled: %w", err)
	}
	reported := map[string]bool{}
	for _, j := range jobs {
		reported[j.Server.Client+"\x00"+j.Server.Name] = true
	}
	for _, p := range inv.Problems { // a problem naming a reported server is in its report
		if (in.Client == "" || p.Client == in.Client) && (p.Server == "" || !reported[p.Client+"\x00"+p.Server]) {
			out.Files = append(out.Files, diagnose.FileFindings([]registry.Problem{p})...)
		}
	}
	out.count()
	if len(out.Servers) == 0 {
		for _, l := range registry.Locations(d.Env) {
			if in.Client == "" || l.Client == in.Client {
				out.Searched = append(out.Searched, l)
			}
		}
	}
	return out, nil
}

// definitionKey identifies one definition: a file holds each path once.
func definitionKey(s registry.Server) string { return s.Client + "\x00" + s.File + "\x00" + s.Path }

// notDialled says why checkup leaves a server alone.
func notDialled(s registry.Server, skip bool) string {
	switch {
	case s.Untrusted && s.TrustHint != "":
		return "its client does not trust this folder, so mcpmend never starts it. " + s.TrustHint
	case unapproved(s):
		return "a project server the user has not approved: mcpmend never starts it"
	case skip:
		return "probing was turned off"
	case s.Disabled:
		return "disabled: checkup does not start it (diagnosing it alone does)"
	case !s.Effective:
		return "the client does not use this definition"
	}
	return "not dialled"
}

func (o *CheckupOutput) count() {
	// The status is the worst of each report's worst finding: gathering
	// every finding of thousands of reports into one slice first cost a
	// copy of each.
	worst := []diagnose.Finding{}
	note := func(fs []diagnose.Finding) {
		if w := diagnose.Worst(fs); w != diagnose.StatusOK && (len(worst) == 0 || worst[0].Severity != diagnose.Error) {
			worst = []diagnose.Finding{{Severity: diagnose.Severity(w)}}
		}
	}
	for _, r := range o.Servers {
		o.Counts.Servers++
		switch r.Status {
		case string(diagnose.Error):
			o.Counts.Error++
		case string(diagnose.Warning):
			o.Counts.Warning++
		default:
			o.Counts.OK++
		}
		note(r.Findings)
	}
	for _, f := range o.Files {
		note([]diagnose.Finding{f.Finding})
	}
	o.Status = diagnose.Worst(worst)
}

// Failed reports whether any finding is an error: what makes `mcpmend
// checkup` exit 1.
func (o *CheckupOutput) Failed() bool { return o.Status == string(diagnose.Error) }

// Text renders the checkup for a model: next steps are tool calls.
func (o *CheckupOutput) Text() string { return o.render(forModel) }

// HumanText renders the checkup for a person: next steps are commands.
func (o *CheckupOutput) HumanText() string { return o.render(forHuman) }

// render renders the checkup grouped by client: the healthy servers one line
// each, then every problem with its next step, then file problems and the
// tally.
func (o *CheckupOutput) render(au audience) string {
	var b strings.Builder
	if len(o.Servers) == 0 && len(o.Files) == 0 {
		b.WriteString("No MCP servers to check (none configured, or none for the client asked for).\n")
		writeSearched(&b, o.Searched)
		return b.String()
	}
	for _, group := range byClient(o.Servers) {
		fmt.Fprintf(&b, "%s (%s)\n", diagnose.ClientTitle(group[0].Server.Client), group[0].Server.Client)
		width := 0
		for _, r := range group {
			width = max(width, len(r.Server.Name))
		}
		for _, r := range group {
			if r.Status == diagnose.StatusOK {
				fmt.Fprintf(&b, "  ok       %-*s  %-5s  %s\n", width, inert.Line(r.Server.Name), r.Server.Transport, inert.Line(r.Verdict))
			}
		}
		for _, r := range group {
			if r.Status == diagnose.StatusOK {
				continue
			}
			fmt.Fprintf(&b, "  %-7s  %-*s  %-5s  %s %s\n", statusWord(r.Status), width, inert.Line(r.Server.Name), r.Server.Transport, scopeText(r.Server), inert.Line(r.Server.File))
			for _, f := range r.Findings {
				au.writeFinding(&b, f, "      ", false)
			}
		}
		b.WriteString("\n")
	}
	if len(o.Files) > 0 {
		b.WriteString("Configuration files\n")
		for _, f := range o.Files {
			au.writeFinding(&b, f.Finding, "  ", false)
		}
		b.WriteString("\n")
	}
	c := o.Counts
	fmt.Fprintf(&b, "%d server(s): %d ok, %d with warnings, %d with errors", c.Servers, c.OK, c.Warning, c.Error)
	if len(o.Files) > 0 {
		fmt.Fprintf(&b, "; %d configuration file problem(s)", len(o.Files))
	}
	b.WriteString(".\n")
	if c.Error+c.Warning > 0 {
		fmt.Fprintf(&b, "Evidence for one server: %s.\n", au.call("diagnose", map[string]any{"name": "NAME"}))
	}
	return b.String()
}

// byClient splits reports, already in client order, into one group per
// client.
func byClient(rs []diagnose.Report) [][]diagnose.Report {
	var out [][]diagnose.Report
	for _, r := range rs {
		if n := len(out); n > 0 && out[n-1][0].Server.Client == r.Server.Client {
			out[n-1] = append(out[n-1], r)
			continue
		}
		out = append(out, []diagnose.Report{r})
	}
	return out
}

// writeSearched lists the files looked at, aligned, marking the missing.
func writeSearched(b *strings.Builder, locs []registry.Location) {
	if len(locs) == 0 {
		return
	}
	b.WriteString("Looked in:\n")
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	for _, l := range locs {
		state := "no servers"
		if !l.Exists {
			state = "not found"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", diagnose.ClientTitle(l.Client), l.Scope, l.Path, state)
	}
	tw.Flush()
}

// WriteJSON writes o to out exactly as a json.Encoder with SetIndent("",
// "  ") does (what `mcpmend checkup --json` prints), in chunks as it is
// encoded (the reports on every core): 15,000 reports are 45 MB of
// output, never held whole.
// An error (encoding/json's: a time RFC 3339 cannot hold) ends the output
// at the last chunk written before it.
func (o *CheckupOutput) WriteJSON(out io.Writer) error {
	return jsonout.WriteJSON(out, o.encode)
}

// encode writes o field by field as its json tags say
// (TestCheckupEncodeEveryField fails when a field is added here and not
// there).
func (o *CheckupOutput) encode(w *jsonout.Writer) {
	w.BeginObject()
	w.Key("status")
	w.String(o.Status)
	w.Key("servers")
	if o.Servers == nil {
		w.Null()
	} else {
		w.BeginArray()
		w.Elems(len(o.Servers), func(w *jsonout.Writer, i int) {
			w.Elem()
			w.Report(&o.Servers[i])
		})
		w.EndArray()
	}
	if len(o.Files) > 0 {
		w.Key("files")
		w.BeginArray()
		for i := range o.Files {
			w.Elem()
			w.FileFinding(&o.Files[i])
		}
		w.EndArray()
	}
	w.Key("counts")
	w.BeginObject()
	for _, c := range []struct {
		k string
		n int
	}{{"servers", o.Counts.Servers}, {"ok", o.Counts.OK}, {"warning", o.Counts.Warning}, {"error", o.Counts.Error}} {
		w.Key(c.k)
		w.Int(c.n)
	}
	w.EndObject()
	if len(o.Searched) > 0 {
		w.Key("searched")
		w.BeginArray()
		for i := range o.Searched {
			w.Elem()
			w.Location(&o.Searched[i])
		}
		w.EndArray()
	}
	w.Key("at")
	w.Time(o.At)
	w.EndObject()
}
