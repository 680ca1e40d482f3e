// Package diagnose turns what mcpmend knows about one configured MCP server —
// its registry entry, what its client remembers (cache) and what it answers
// right now (probe) — into findings a person or a model can act on: each with
// a severity, a stable code, one sentence, redacted evidence and the next
// step (an mcpmend tool with its arguments, or something the user does).
//
// The judgment (Judge) is a pure function of those three inputs, so every
// combination can be tested directly; Run gathers the inputs for many
// servers, probing them concurrently through the probe engine.
package diagnose

import (
	"sort"

	"github.com/mcpmend/mcpmend/cache"
	"github.com/mcpmend/mcpmend/registry"
	"github.com/mcpmend/mcpmend/tools/probe"
)

// Severity says how much a finding matters.
type Severity string

// Severities, most severe first. Error: the server does not work for the
// user as configured. Warning: something is likely wrong or will bite.
// Info: worth knowing, nothing to do.
const (
	Error   Severity = "error"
	Warning Severity = "warning"
	Info    Severity = "info"
)

func (s Severity) rank() int {
	switch s {
	case Error:
		return 2
	case Warning:
		return 1
	}
	return 0
}

// StatusOK is a Report's status when no finding is a warning or an error.
const StatusOK = "ok"

// Finding is one thing the diagnosis found. Every string in it is safe to
// print: secrets are never put in, and the server's configured secret
// values are scrubbed once more before a Report is returned.
type Finding struct {
	Severity Severity `json:"severity" jsonschema:"error (the server does not work as configured), warning or info"`
	Code     string   `json:"code" jsonschema:"stable identifier of the kind of finding, e.g. stale-needs-auth, credential-rejected, command-not-found"`
	Summary  string   `json:"summary" jsonschema:"one sentence a user understands"`
	Evidence []string `json:"evidence,omitempty" jsonschema:"what the finding rests on: probe answers, records, files; redacted"`
	Next     *Action  `json:"next,omitempty" jsonschema:"what to do about it"`
}

// Action is the next step for a finding: an mcpmend tool call (with the CLI
// command that does the same), or a step only the user can take. Step is
// written for either reader: it never names a tool or an mcpmend command
// itself; renderers add the tool call for a model, the command for a person.
type Action struct {
	Step      string         `json:"step" jsonschema:"what to do, in one sentence"`
	Tool      string         `json:"tool,omitempty" jsonschema:"the mcpmend tool that does it, when one does"`
	Arguments map[string]any `json:"arguments,omitempty" jsonschema:"the tool's arguments"`
	Command   string         `json:"command,omitempty" jsonschema:"the same from a shell (mcpmend …), or the client's own command (claude mcp login …)"`
}

// Input is everything Judge looks at for one server definition.
type Input struct {
	Server registry.Server
	// State is what the client's stores remember; nil when not inspected.
	State *cache.State
	// Probe is what the server answered; nil when it was not dialled, and
	// then NotProbed says why.
	Probe     *probe.Result
	NotProbed string
	// Others are the same client's other definitions of the name (shadowed
	// copies, or the one that wins over Server).
	Others []registry.Server
	// Problems are file-level problems that name the server (an entry the
	// client skips because it is not an object, …).
	Problems []registry.Problem
	// NameShared is true when other clients define the same name, so a
	// suggested tool call must name the client.
	NameShared bool
}

// Report is the diagnosis of one server definition.
type Report struct {
	Server   registry.Server `json:"server"`
	Status   string          `json:"status" jsonschema:"ok, warning or error: the most severe finding"`
	Verdict  string          `json:"verdict" jsonschema:"the diagnosis in one line"`
	Findings []Finding       `json:"findings" jsonschema:"most severe first; empty when nothing is wrong"`
	// Probe condenses what the server answered; NotProbed says why it
	// was not dialled.
	Probe     *ProbeSummary  `json:"probe,omitempty" jsonschema:"what the server answered right now"`
	NotProbed string         `json:"not_probed,omitempty" jsonschema:"why the server was not dialled"`
	Session   *cache.Session `json:"session,omitempty" jsonschema:"Claude Code only: whether its next session dials or skips the server, and why"`
	State     *cache.Summary `json:"state,omitempty" jsonschema:"what the client's stores remember about the server, in brief"`
}

// ProbeSummary is the gist of a probe.Result (the full result, with every
// HTTP exchange, is probe_server's).
type ProbeSummary struct {
	Verdict    probe.Verdict     `json:"verdict"`
	Summary    string            `json:"summary,omitempty"`
	Phase      string            `json:"phase,omitempty"`
	DurationMS float64           `json:"duration_ms"`
	Server     *probe.ServerInfo `json:"server,omitempty"`
	Notes      []string          `json:"notes,omitempty"`
}

// Diagnose judges in and condenses it into a Report.
func Diagnose(in Input) Report {
	r := Report{Server: in.Server, Findings: Judge(in), NotProbed: in.NotProbed}
	if in.Probe != nil {
		p, secrets := in.Probe, secretValues(in.Server)
		r.Probe = &ProbeSummary{Verdict: p.Verdict, Summary: registry.Scrub(p.Summary, secrets...), Phase: p.Phase, DurationMS: p.DurationMS, Server: p.Server}
		for _, n := range p.Notes {
			r.Probe.Notes = append(r.Probe.Notes, registry.Scrub(n, secrets...))
		}
		r.NotProbed = ""
	}
	if in.State != nil {
		r.Session = in.State.Session
		if sum := in.State.Summary(); !sum.IsZero() {
			r.State = &sum
		}
	}
	r.Status, r.Verdict = verdict(in, r.Findings)
	return r
}

// Judge returns the findings for one server, most severe first. It is a
// pure function of its input.
func Judge(in Input) []Finding {
	f := newFacts(in)
	var out []Finding
	out = append(out, f.configFindings()...)
	out = append(out, f.liveFindings()...)
	out = append(out, f.stateFindings()...)
	for i := range out {
		out[i] = f.scrubbed(out[i])
		withCommand(out[i].Next)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Severity.rank() > out[j].Severity.rank() })
	if out == nil {
		out = []Finding{}
	}
	return out
}

// Worst is the status of a set of findings: StatusOK, "warning" or "error".
func Worst(fs []Finding) string {
	worst := StatusOK
	for _, f := range fs {
		switch {
		case f.Severity == Error:
			return string(Error)
		case f.Severity == Warning:
			worst = string(Warning)
		}
	}
	return worst
}

// verdict is the status and the one-line diagnosis: the most severe
// finding's summary, or what makes the server healthy.
func verdict(in Input, fs []Finding) (string, string) {
	status := Worst(fs)
	switch {
	case status != StatusOK:
		return status, fs[0].Summary
	case len(fs) > 0 && (fs[0].Code == CodeDisabled || fs[0].Code == CodeRejected):
		return status, fs[0].Summary // not loaded on purpose: not "healthy"
	}
	return status, healthyLine(in, fs)
}
