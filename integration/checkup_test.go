package integration

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// checkupReport is the part of a diagnose.Report the tests read.
type checkupReport struct {
	Server struct {
		Name, Client string
	}
	Status, Verdict string
	Findings        []struct {
		Severity, Code, Summary string
		Evidence                []string
		Next                    *struct {
			Step, Tool, Command string
			Arguments           map[string]any
		}
	}
	Probe *struct{ Verdict string }
}

// suggestsReset reports whether any finding points at reset_server_auth.
func (r checkupReport) suggestsReset() bool {
	for _, f := range r.Findings {
		if f.Next != nil && f.Next.Tool == "reset_server_auth" {
			return true
		}
	}
	return false
}

func (r checkupReport) code() string {
	if len(r.Findings) == 0 {
		return ""
	}
	return r.Findings[0].Code
}

func checkupJSON(t *testing.T, home, proj string) (map[string]checkupReport, string, int) {
	t.Helper()
	stdout, stderr, code := runCLIIn(t, home, proj, "checkup", "--json", "--timeout", "30s")
	var out struct {
		Status  string
		Servers []checkupReport
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("checkup --json does not parse: %v\nstdout: %s\nstderr: %s", err, stdout, stderr)
	}
	byName := map[string]checkupReport{}
	for _, r := range out.Servers {
		byName[r.Server.Name] = r
	}
	return byName, stdout + stderr, code
}

// TestCheckupLive is diagnosis end to end with the real Claude Code CLI: a
// loopback OAuth server answers 401 while `claude mcp list` health-checks it
// (Claude Code writes gates A+B), then recovers; a second one keeps refusing
// the bearer token configured for it; a stdio server's command does not
// exist; a go-sdk stdio server (mcpmend serve itself) is healthy. `mcpmend
// checkup` and diagnose_server over stdio must say: stale memory with
// reset_server_auth as the next step, a rejected credential with no reset
// advice, command not found, ok — with no canary secret anywhere. A real
// session agrees before (needs-auth) and, after `mcpmend reset`, checkup
// calls the stuck server healthy and the real session connects to it.
func TestCheckupLive(t *testing.T) {
	claude := npmBin(t, "claude")
	const canary = "CANARY-checkup-live-3d9e"
	home := t.TempDir()
	proj := filepath.Join(home, "proj")
	if err := os.MkdirAll(proj, 0o755); err != nil {
		t.Fatal(err)
	}
	stuck, refusing := startOAuthServer(t, "stuck", true), startOAuthServer(t, "refusing", true)
	servers := map[string]any{
		"stuck":    map[string]any{"type": "http", "url": stuck.MCPURL},
		"refusing": map[string]any{"type": "http", "url": refusing.MCPURL, "headers": map[string]any{"Authorization": "Bearer " + canary}},
		"healthy":  map[string]any{"command": binary, "args": []string{"serve", "--home", t.TempDir()}, "env": map[string]any{"API_KEY": canary}},
		"missing":  map[string]any{"command": "mcpmend-it-no-such-command", "env": map[string]any{"TOKEN": canary}},
	}
	for name, cfg := range servers {
		raw, _ := json.Marshal(cfg)
		runClaude(t, claude, home, proj, false, "mcp", "add-json", "-s", "user", name, string(raw))
	}
	runClaude(t, claude, home, proj, true, "mcp", "list") // the 401s: Claude Code writes the gates
	stuck.SetHealthy(true)                                // the upstream recovered; refusing never does
	if st := stateOf(t, home, "stuck"); st.Session.Action != "skip" || st.gates() != "AB" {
		t.Fatalf("stuck after claude mcp list: %s gates %q, want skip AB", st.Session.Action, st.gates())
	}
	if statuses := sessionStatuses(t, claude, home, proj); statuses["stuck"] != "needs-auth" {
		t.Fatalf("a real session before the reset: %v", statuses)
	}

	reports, all, code := checkupJSON(t, home, proj)
	if code != 1 {
		t.Errorf("checkup exit %d, want 1 (errors found)\n%s", code, all)
	}
	want := map[string]struct{ status, code string }{
		"stuck":    {"error", "stale-needs-auth"},
		"refusing": {"error", "credential-rejected"},
		"missing":  {"error", "command-not-found"},
		"healthy":  {"ok", ""},
	}
	for name, w := range want {
		r, ok := reports[name]
		if !ok || r.Status != w.status || r.code() != w.code {
			t.Errorf("%s: %s %q, want %s %q\n%+v", name, r.Status, r.code(), w.status, w.code, r)
		}
	}
	if r := reports["stuck"]; r.Findings[0].Next == nil || r.Findings[0].Next.Tool != "reset_server_auth" || r.Findings[0].Next.Arguments["name"] != "stuck" ||
		r.Findings[0].Next.Command != "mcpmend reset stuck" || r.Probe == nil || r.Probe.Verdict != "ok" {
		t.Errorf("stuck: next %+v, probe %+v", r.Findings[0].Next, r.Probe)
	}
	if r := reports["refusing"]; r.suggestsReset() || r.Probe == nil || r.Probe.Verdict != "auth_rejected" {
		t.Errorf("refusing: a rejected credential must not be sent to a reset: %+v", r)
	} else if ev := strings.Join(r.Findings[0].Evidence, "\n"); !strings.Contains(ev, "rejected the configured Authorization header") {
		// Claude Code itself logged the same diagnosis during `claude mcp list`.
		t.Errorf("refusing: the evidence lacks Claude Code's own log line:\n%s", ev)
	}
	if strings.Contains(all, canary) {
		t.Errorf("canary secret in checkup output:\n%s", all)
	}
	text, _, _ := runCLIIn(t, home, proj, "checkup")
	for _, w := range []string{"Claude Code (claude-code)", "ok       healthy", "stale-needs-auth", "mcpmend reset stuck", "credential-rejected", "command-not-found"} {
		if !strings.Contains(text, w) {
			t.Errorf("checkup text lacks %q:\n%s", w, text)
		}
	}
	if strings.Contains(text, canary) {
		t.Errorf("canary secret in checkup text:\n%s", text)
	}

	// The same diagnosis through the MCP tool, over stdio.
	cs := connect(t, home)
	for name, w := range map[string]string{"stuck": "stale-needs-auth", "refusing": "credential-rejected"} {
		res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "diagnose", Arguments: map[string]any{"name": name, "timeout": 30, "detail": true}})
		if err != nil || res.IsError {
			t.Fatalf("diagnose %s: %v %+v", name, err, res)
		}
		raw, _ := json.Marshal(res)
		var wrapped struct {
			Detail struct{ Reports []checkupReport }
		}
		sc, _ := json.Marshal(res.StructuredContent)
		var r checkupReport
		err = json.Unmarshal(sc, &wrapped)
		if len(wrapped.Detail.Reports) == 1 {
			r = wrapped.Detail.Reports[0]
		}
		if err != nil || r.code() != w {
			t.Errorf("diagnose %s: %s (%v)", name, sc, err)
		}
		if name == "refusing" && r.suggestsReset() {
			t.Errorf("diagnose refusing suggests a reset: %s", sc)
		}
		if strings.Contains(string(raw), canary) {
			t.Errorf("canary secret in diagnose %s: %s", name, raw)
		}
	}

	// Take the suggested step; the next checkup calls the server healthy,
	// and a real session connects to it.
	if out, errOut, code := runCLIIn(t, home, proj, "reset", "stuck"); code != 0 {
		t.Fatalf("mcpmend reset stuck: exit %d\n%s\n%s", code, out, errOut)
	}
	reports, all, _ = checkupJSON(t, home, proj)
	if r := reports["stuck"]; r.Status != "ok" || !strings.Contains(r.Verdict, "healthy") {
		t.Errorf("stuck after the reset: %+v\n%s", r, all)
	}
	if r := reports["refusing"]; r.code() != "credential-rejected" {
		t.Errorf("refusing after resetting another server: %+v", r)
	}
	stuck.ForgetRequests()
	if statuses := sessionStatuses(t, claude, home, proj); statuses["stuck"] != "connected" || stuck.MCPRequests() == 0 {
		t.Errorf("a real session after the reset: %v, %d requests to stuck", statuses, stuck.MCPRequests())
	}
}
