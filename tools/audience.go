package tools

import (
	"encoding/json"
	"maps"
	"strings"

	"github.com/mcpmend/mcpmend/registry"
	"github.com/mcpmend/mcpmend/tools/diagnose"
)

// audience is who a text rendering is for. A tool result's text is read by
// a model, which calls tools; the CLI prints the same result for a person,
// who runs commands. Each rendering names only what its reader can do:
// `reset_server_auth {"name": "x"}` for the model, `mcpmend reset x` for the
// person — never the other way round.
type audience int

const (
	forModel audience = iota
	forHuman
)

// call names a tool call for the model, or the equivalent command for a
// person.
func (au audience) call(tool string, args map[string]any) string {
	if au == forHuman {
		return "`" + diagnose.CommandFor(tool, args) + "`"
	}
	raw, _ := json.Marshal(args)
	return tool + " " + string(raw)
}

// actionText is a next step in one line: the step, then the tool call (for
// the model) or the command (for a person) that does it. A command that is
// not mcpmend's (claude mcp login …) is the user's to run and is shown to
// both.
func (au audience) actionText(a diagnose.Action) string {
	t := a.Step
	switch {
	case a.Tool != "":
		t += ": " + au.call(a.Tool, a.Arguments)
	case a.Command != "" && !strings.Contains(a.Step, a.Command) && (au == forHuman || !strings.HasPrefix(a.Command, "mcpmend ")):
		t += " (`" + a.Command + "`)"
	}
	return t
}

// serverArgs are the tool arguments naming s: its name and client, and its
// scope when s is not the definition a lookup by name picks.
func serverArgs(s registry.Server) map[string]any {
	a := map[string]any{"name": s.Name}
	if s.Client != "" {
		a["client"] = s.Client
	}
	if !s.Effective && s.Scope != "" {
		a["scope"] = s.Scope
	}
	return a
}

// withArg is a copy of args with k set to v.
func withArg(args map[string]any, k string, v any) map[string]any {
	out := maps.Clone(args)
	out[k] = v
	return out
}

// resetArgs repeat a dry run's request without dry_run.
func resetArgs(o *ResetServerAuthOutput) map[string]any {
	a := serverArgs(o.Server)
	if o.forgetTokens {
		a["forget_tokens"] = true
	}
	return a
}
