package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpmend/mcpmend/tools/diagnose"
)

// writeNeedsAuth writes Claude Code's needs-auth cache (gate A) for names,
// stamped a minute ago, in the compact shape Claude Code writes.
func writeNeedsAuth(t testing.TB, d *Deps, names ...string) {
	t.Helper()
	entries := map[string]any{}
	for _, n := range names {
		entries[n] = map[string]any{"timestamp": time.Now().Add(-time.Minute).UnixMilli()}
	}
	data, _ := json.Marshal(entries)
	dir := filepath.Join(d.Env.Home, ".claude")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "mcp-needs-auth-cache.json"), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func callJSON[T any](t *testing.T, cs *mcp.ClientSession, params *mcp.CallToolParams) (T, string) {
	t.Helper()
	var out T
	res, err := cs.CallTool(context.Background(), params)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(res)
	if res.IsError {
		t.Fatalf("%s failed: %s", params.Name, raw)
	}
	sc, _ := json.Marshal(res.StructuredContent)
	if err := json.Unmarshal(sc, &out); err != nil {
		t.Fatal(err)
	}
	return out, string(raw)
}

// TestDiagnoseServerStuckThenReset: a healthy server Claude Code remembers
// a 401 for is diagnosed stale with reset_server_auth as the next step;
// taking that step (the real reset) makes the next diagnosis healthy. The
// same server with a refused credential is never told to reset.
func TestDiagnoseServerStuckThenReset(t *testing.T) {
	good, locked := mcpHTTP(t, nil), mcpHTTP(t, unauthorized)
	marker := filepath.Join(t.TempDir(), "ran")
	d := probeHome(t, map[string]any{
		"stuck":    map[string]any{"type": "http", "url": good},
		"rejected": map[string]any{"type": "http", "url": locked, "headers": map[string]any{"Authorization": "Bearer " + probeCanary}},
	}, nil, map[string]any{"untrusted": map[string]any{"command": "sh", "args": []string{"-c", "touch " + marker}}})
	writeNeedsAuth(t, d, "stuck", "rejected")
	cs, _ := session(t, d)

	out, raw := callJSON[DiagnoseServerOutput](t, cs, &mcp.CallToolParams{Name: "diagnose_server", Arguments: map[string]any{"name": "stuck"}})
	if out.Status != "error" || len(out.Findings) == 0 || out.Findings[0].Code != diagnose.CodeStaleNeedsAuth {
		t.Fatalf("stuck: %s", raw)
	}
	next := out.Findings[0].Next
	if next == nil || next.Tool != "reset_server_auth" || next.Arguments["name"] != "stuck" {
		t.Fatalf("next = %+v", next)
	}
	if out.Probe == nil || out.Probe.Verdict != "ok" || out.Session == nil || out.Session.Action != "skip" {
		t.Errorf("probe %+v, session %+v", out.Probe, out.Session)
	}
	// Take the suggested step with exactly its arguments.
	reset, _ := callJSON[ResetServerAuthOutput](t, cs, &mcp.CallToolParams{Name: next.Tool, Arguments: next.Arguments})
	if reset.Outcome != OutcomeApplied {
		t.Fatalf("reset: %+v", reset)
	}
	out, raw = callJSON[DiagnoseServerOutput](t, cs, &mcp.CallToolParams{Name: "diagnose_server", Arguments: map[string]any{"name": "stuck"}})
	if out.Status != diagnose.StatusOK || !strings.Contains(out.Verdict, "healthy") {
		t.Errorf("after the reset: %s", raw)
	}

	out, raw = callJSON[DiagnoseServerOutput](t, cs, &mcp.CallToolParams{Name: "diagnose_server", Arguments: map[string]any{"name": "rejected"}})
	if out.Findings[0].Code != diagnose.CodeCredentialRejected || out.Findings[0].Next == nil || out.Findings[0].Next.Tool != "" {
		t.Errorf("rejected: %s", raw)
	}
	if strings.Contains(raw, probeCanary) {
		t.Errorf("canary in the answer: %s", raw)
	}

	out, raw = callJSON[DiagnoseServerOutput](t, cs, &mcp.CallToolParams{Name: "diagnose_server", Arguments: map[string]any{"name": "untrusted"}})
	if out.Probe != nil || out.Findings[0].Code != diagnose.CodePendingApproval || !strings.Contains(out.NotProbed, "does not trust this folder") {
		t.Errorf("untrusted: %s", raw)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("an unapproved project server was started")
	}
}

// TestDiagnoseServerBadInput: errors name the problem and change nothing.
func TestDiagnoseServerBadInput(t *testing.T) {
	d := probeHome(t, map[string]any{"github": map[string]any{"type": "http", "url": "http://127.0.0.1:1/mcp"}}, nil, nil)
	for _, tt := range []struct {
		in   DiagnoseServerInput
		want string
	}{
		{DiagnoseServerInput{Name: "githb"}, "did you mean github"},
		{DiagnoseServerInput{}, "name is required"},
		{DiagnoseServerInput{Name: "github", Client: "emacs"}, "unknown client"},
		{DiagnoseServerInput{Name: "github", Timeout: 0.5}, "between 1 and 120"},
	} {
		if _, err := DiagnoseServer(context.Background(), d, tt.in); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("DiagnoseServer(%+v) = %v, want %q", tt.in, err, tt.want)
		}
	}
	out, err := DiagnoseServer(context.Background(), d, DiagnoseServerInput{Name: "github", SkipProbe: true})
	if err != nil || out.Probe != nil || out.NotProbed == "" || out.Status != diagnose.StatusOK {
		t.Errorf("skip_probe: %+v %v", out, err)
	}
}

// TestCheckupOverMCP runs the checkup tool: every server judged, the
// dialled ones with one progress notification each, in list order, no
// secret in the answer, and the CLI's exit rule (Failed) set by errors.
func TestCheckupOverMCP(t *testing.T) {
	good, locked := mcpHTTP(t, nil), mcpHTTP(t, unauthorized)
	d := probeHome(t, map[string]any{
		"a-good":   map[string]any{"type": "http", "url": good, "headers": map[string]any{"X-Api-Key": probeCanary}},
		"b-locked": map[string]any{"type": "http", "url": locked, "headers": map[string]any{"Authorization": "Bearer " + probeCanary}},
		"c-gone":   map[string]any{"command": "mcpmend-test-no-such-server", "env": map[string]any{"TOKEN": probeCanary}},
	}, map[string]any{"a-good": map[string]any{"type": "http", "url": good}}, map[string]any{"d-pending": map[string]any{"command": "true"}})
	cs, progress := session(t, d)
	params := &mcp.CallToolParams{Name: "checkup", Arguments: map[string]any{"timeout": 10}}
	params.SetProgressToken("c1")
	out, raw := callJSON[CheckupOutput](t, cs, params)
	if strings.Contains(raw, probeCanary) {
		t.Fatalf("canary leaked: %s", raw)
	}
	var got []string
	for _, r := range out.Servers {
		code := "-"
		if len(r.Findings) > 0 {
			code = r.Findings[0].Code
		}
		got = append(got, fmt.Sprintf("%s/%s=%s:%s", r.Server.Name, r.Server.Scope, r.Status, code))
	}
	want := "a-good/local=ok:shadows b-locked/user=error:credential-rejected c-gone/user=error:command-not-found d-pending/project=warning:pending-approval"
	if strings.Join(got, " ") != want {
		t.Errorf("servers = %v\nwant      %s", got, want)
	}
	if out.Status != "error" || !out.Failed() || out.Counts != (CheckupCounts{Servers: 4, OK: 1, Warning: 1, Error: 2}) {
		t.Errorf("status %s, counts %+v", out.Status, out.Counts)
	}
	if n := progress.await(3); n != 3 {
		t.Errorf("%d progress notifications, want one per dialled server (3)", n)
	}
	res, _ := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "checkup", Arguments: map[string]any{"skip_probe": true}})
	text := res.Content[0].(*mcp.TextContent).Text
	for _, w := range []string{"Claude Code (claude-code)", "ok       a-good", "probing was turned off", "4 server(s)"} {
		if !strings.Contains(text, w) {
			t.Errorf("skip_probe text lacks %q:\n%s", w, text)
		}
	}
}

// TestDiagnoseToolsListed: both tools are registered with the annotations
// the README promises and typed output.
func TestDiagnoseToolsListed(t *testing.T) {
	cs, _ := session(t, probeHome(t, map[string]any{}, nil, nil))
	res, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, tool := range res.Tools {
		if tool.Name != "diagnose_server" && tool.Name != "checkup" {
			continue
		}
		seen++
		a := tool.Annotations
		if a == nil || !a.ReadOnlyHint || a.IdempotentHint || a.OpenWorldHint == nil || !*a.OpenWorldHint || a.DestructiveHint == nil || *a.DestructiveHint {
			t.Errorf("%s annotations = %+v", tool.Name, a)
		}
		if tool.OutputSchema == nil || len(tool.Description) < 200 {
			t.Errorf("%s: output schema %v, description %d chars", tool.Name, tool.OutputSchema != nil, len(tool.Description))
		}
	}
	if seen != 2 {
		t.Errorf("found %d of diagnose_server and checkup", seen)
	}
}
