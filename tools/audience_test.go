package tools

import (
	"strings"
	"testing"

	"github.com/mcpmend/mcpmend/cache"
	"github.com/mcpmend/mcpmend/registry"
	"github.com/mcpmend/mcpmend/tools/diagnose"
)

// TestAudiences: the model's rendering names tool calls and never an
// mcpmend command; the person's names commands and never a tool.
func TestAudiences(t *testing.T) {
	srv := registry.Server{Name: "github", Client: registry.ClaudeCode, Scope: "user", Transport: registry.HTTP, Effective: true, File: "/h/.claude.json"}
	reset := &diagnose.Action{Step: "clear Claude Code's memory of github", Tool: "reset_server_auth", Arguments: map[string]any{"name": "github"}, Command: "mcpmend reset github"}
	login := &diagnose.Action{Step: "sign in", Command: "claude mcp login github"}
	rep := diagnose.Report{Server: srv, Status: "error", Verdict: "stuck", Findings: []diagnose.Finding{
		{Severity: diagnose.Error, Code: "stale-needs-auth", Summary: "stuck", Next: reset},
		{Severity: diagnose.Warning, Code: "oauth-token-expired", Summary: "expired", Next: login},
	}}
	skip := &cache.Session{Action: cache.ActionSkip, Reason: "gate A"}
	outputs := []interface {
		Text() string
		HumanText() string
	}{
		&CheckupOutput{Status: "error", Servers: []diagnose.Report{rep}, Counts: CheckupCounts{Servers: 1, Error: 1}},
		&DiagnoseServerOutput{Report: rep},
		&ServerStateOutput{Server: srv, Session: skip},
		&ResetServerAuthOutput{Server: srv, Outcome: OutcomeDryRun, forgetTokens: true},
		&ResetServerAuthOutput{Server: srv, Outcome: OutcomeWaiting, ID: "20261126T101500Z-1a2b3c4d"},
	}
	tools := []string{"reset_server_auth", "diagnose_server", "probe_server", "undo_reset", "reset_status", "server_state"}
	for i, o := range outputs {
		model, human := o.Text(), o.HumanText()
		if strings.Contains(model, "mcpmend reset") || strings.Contains(model, "mcpmend diagnose") || strings.Contains(model, "mcpmend undo") {
			t.Errorf("%d: the model is told to run a command:\n%s", i, model)
		}
		for _, tool := range tools {
			if strings.Contains(human, tool) {
				t.Errorf("%d: a person is told to call %s:\n%s", i, tool, human)
			}
		}
		if !strings.Contains(human, "`mcpmend ") || !strings.Contains(model, "{\"") {
			t.Errorf("%d: no command for the person or no tool call for the model:\n%s\n---\n%s", i, human, model)
		}
	}
	if h := outputs[0].HumanText(); !strings.Contains(h, "`mcpmend reset github`") || !strings.Contains(h, "claude mcp login github") {
		t.Errorf("checkup for a person:\n%s", h)
	}
	if m := outputs[0].Text(); !strings.Contains(m, `reset_server_auth {"name":"github"}`) || !strings.Contains(m, "claude mcp login github") {
		t.Errorf("checkup for the model:\n%s", m)
	}
	if h := outputs[3].HumanText(); !strings.Contains(h, "`mcpmend reset github --client claude-code --forget-tokens`") {
		t.Errorf("a dry run's next step drops what was asked:\n%s", h)
	}
}
