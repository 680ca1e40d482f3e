package diagnose

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/mcpmend/mcpmend/registry"
)

// Codes of findings about the configuration itself.
const (
	CodePendingApproval = "pending-approval" // a project server nobody approved: not loaded
	CodeRejected        = "rejected-by-user" // a project server the user rejected: not loaded
	CodeDisabled        = "disabled"         // turned off in the client
	CodeShadowed        = "shadowed"         // another definition of the name wins
	CodeShadows         = "shadows"          // this definition wins over others of the name
	CodeConfigIgnored   = "config-ignored"   // the client does not use this entry at all
	CodeConfigProblem   = "config-problem"   // something in the entry or its file is off
	CodeUntrusted       = "untrusted-folder" // its client does not trust the folder: never started
)

// configFindings judges the registry entry: whether the client loads this
// definition at all, and what is wrong with it.
func (f *facts) configFindings() []Finding {
	s := f.s
	var out []Finding
	switch {
	case s.Approval == registry.Pending:
		out = append(out, Finding{Severity: Warning, Code: CodePendingApproval,
			Summary:  fmt.Sprintf("%s is a project server (%s) nobody has approved: Claude Code does not load it until it is approved", s.Name, s.File),
			Evidence: []string{"approval: pending"},
			Next: &Action{Step: fmt.Sprintf("if the user trusts it: start Claude Code in %s and approve %s at the prompt, or add %q to enabledMcpjsonServers in %s",
				s.Project, s.Name, s.Name, filepath.Join(s.Project, ".claude", "settings.local.json"))}})
	case s.Approval == registry.Rejected:
		out = append(out, Finding{Severity: Info, Code: CodeRejected,
			Summary: fmt.Sprintf("%s is a project server (%s) the user rejected: Claude Code does not load it", s.Name, s.File),
			Next:    &Action{Step: fmt.Sprintf("only if it is wanted after all: run `claude mcp reset-project-choices` in %s and approve it", s.Project)}})
	case s.Untrusted:
		out = append(out, Finding{Severity: Warning, Code: CodeUntrusted,
			Summary:  fmt.Sprintf("%s comes from %s, a folder %s does not trust as far as its files say: mcpmend judges it without starting or dialling it", s.Name, s.File, clientTitle(s.Client)),
			Evidence: []string{"untrusted project/workspace file " + s.File},
			Next:     &Action{Step: "only if the user trusts this repository: " + s.TrustHint}})
	case s.Disabled:
		out = append(out, Finding{Severity: Info, Code: CodeDisabled,
			Summary: fmt.Sprintf("%s is disabled in %s: it is not started or dialled", s.Name, clientTitle(s.Client)),
			Next:    &Action{Step: enableStep(s)}})
	case !s.Effective && s.ShadowedBy != "":
		scope, file, _ := strings.Cut(s.ShadowedBy, " ")
		out = append(out, Finding{Severity: Warning, Code: CodeShadowed,
			Summary:  fmt.Sprintf("this definition of %s (%s, %s) is not used: %s uses the %s one in %s, so edits here change nothing", s.Name, s.Scope, s.File, clientTitle(s.Client), scope, file),
			Evidence: []string{"shadowed by " + s.ShadowedBy},
			Next: &Action{Step: "diagnose the definition that is used", Tool: "diagnose_server",
				Arguments: map[string]any{"name": s.Name, "client": s.Client, "scope": scope}}})
	case !s.Effective:
		why := "it is not the definition the client uses"
		if len(s.Problems) > 0 {
			why = strings.Join(s.Problems, "; ")
		}
		out = append(out, Finding{Severity: ignoredSeverity(s), Code: CodeConfigIgnored,
			Summary:  fmt.Sprintf("%s never uses %s: %s", clientTitle(s.Client), f.where(), why),
			Evidence: s.Problems,
			Next:     &Action{Step: ignoredStep(s)}})
	}
	if s.Effective || s.Disabled || s.Approval != "" {
		for _, p := range s.Problems {
			out = append(out, Finding{Severity: Warning, Code: CodeConfigProblem,
				Summary: fmt.Sprintf("%s: %s", f.where(), p),
				Next:    &Action{Step: "fix " + f.where()}})
		}
	}
	for _, p := range f.in.Problems {
		out = append(out, Finding{Severity: Warning, Code: CodeConfigProblem,
			Summary: fmt.Sprintf("%s: %s", problemPlace(p), p.Message),
			Next:    &Action{Step: "fix " + problemPlace(p)}})
	}
	if s.Effective {
		var shadowed []string
		for _, o := range f.in.Others {
			if o.ShadowedBy != "" {
				shadowed = append(shadowed, o.Scope+" "+o.File)
			}
		}
		if len(shadowed) > 0 {
			out = append(out, Finding{Severity: Info, Code: CodeShadows,
				Summary:  fmt.Sprintf("%s is also defined elsewhere, but this %s definition wins: edits to the others change nothing", s.Name, s.Scope),
				Evidence: shadowed})
		}
	}
	return out
}

// enableStep says how to turn a disabled server back on in its client.
func enableStep(s registry.Server) string {
	switch s.Client {
	case registry.ClaudeCode:
		return fmt.Sprintf("if it is wanted: in a Claude Code session in %s, /mcp → %s → Enable (it is listed in disabledMcpServers of %s)", s.Project, s.Name, s.File)
	case registry.Gemini:
		return fmt.Sprintf("if it is wanted: remove %s from mcp.excluded (or add it to mcp.allowed) in %s", s.Name, s.File)
	case registry.Codex:
		return fmt.Sprintf("if it is wanted: set enabled = true in [mcp_servers.%s] of %s", s.Name, s.File)
	}
	return fmt.Sprintf("if it is wanted: enable it in %s (\"disabled\" in %s)", clientTitle(s.Client), s.File)
}

// ignoredSeverity is how much an entry the client never uses matters. A
// remote (url) entry in claude_desktop_config.json is common — the file is
// shared advice across clients, and Desktop takes remote servers as
// connectors instead — and Desktop skips it without complaint: a warning,
// not an error that fails every checkup on such a machine.
func ignoredSeverity(s registry.Server) Severity {
	if s.Client == registry.ClaudeDesktop && s.Remote() {
		return Warning
	}
	return Error
}

// ignoredStep says how to make an ignored entry count.
func ignoredStep(s registry.Server) string {
	switch {
	case s.Client == registry.ClaudeDesktop && s.Remote():
		return "Claude Desktop runs only stdio servers from its config file: add the remote server in Claude Desktop under Settings → Connectors, or run it through a stdio bridge such as mcp-remote"
	case s.Client == registry.Windsurf && s.Remote():
		return fmt.Sprintf("rename \"url\" to \"serverUrl\" in the %s entry of %s", s.Name, s.File)
	}
	return fmt.Sprintf("fix the %s entry in %s as the problem says, or define it where %s reads it", s.Name, s.File, clientTitle(s.Client))
}

// problemPlace is "FILE:LINE:COL" or "FILE".
func problemPlace(p registry.Problem) string {
	switch {
	case p.Line > 0 && p.Column > 0:
		return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column)
	case p.Line > 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return p.File
}

// FileFinding is a problem in a configuration file that belongs to no one
// server: a file that does not parse, a file the client no longer reads.
type FileFinding struct {
	Client string `json:"client"`
	File   string `json:"file"`
	Finding
}

// FileFindings turns the registry's file-level problems into findings. A
// file that does not parse (the problem has a line) hides every server in
// it, so it is an error; the rest are warnings.
func FileFindings(problems []registry.Problem) []FileFinding {
	var out []FileFinding
	for _, p := range problems {
		x := FileFinding{Client: p.Client, File: p.File, Finding: Finding{Severity: Warning, Code: CodeConfigProblem,
			Summary: fmt.Sprintf("%s: %s", problemPlace(p), p.Message),
			Next:    &Action{Step: "fix " + problemPlace(p)}}}
		if p.Line > 0 && p.Server == "" {
			x.Severity, x.Code = Error, CodeConfigUnparseable
			x.Summary = fmt.Sprintf("%s does not parse (%s), so %s reads none of its servers", problemPlace(p), p.Message, clientTitle(p.Client))
		}
		if p.Server != "" {
			x.Summary = fmt.Sprintf("%s: server %s: %s", problemPlace(p), p.Server, p.Message)
		}
		out = append(out, x)
	}
	return out
}

// CodeConfigUnparseable is a configuration file that does not parse.
const CodeConfigUnparseable = "config-unparseable"
