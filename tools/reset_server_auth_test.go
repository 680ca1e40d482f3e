package tools

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/tidwall/gjson"

	"github.com/mcpmend/mcpmend/cache"
	"github.com/mcpmend/mcpmend/cache/credentials"
	"github.com/mcpmend/mcpmend/cache/needsauth"
)

// stateFiles reads Claude Code's two memory files in d's home.
func stateFiles(t *testing.T, d *Deps) (creds, needs string) {
	t.Helper()
	c, err := os.ReadFile(credentials.File(d.Env))
	if err != nil {
		t.Fatal(err)
	}
	n, err := os.ReadFile(needsauth.File(d.Env))
	if err != nil {
		t.Fatal(err)
	}
	return string(c), string(n)
}

// TestResetServerAuthFixture walks the whole cycle on the real CLI's files:
// dry run changes nothing, the reset clears gates A and B so the next
// session dials, a second reset has nothing to do, the journal shows it,
// undo restores both files byte for byte, and a second undo does nothing.
func TestResetServerAuthFixture(t *testing.T) {
	d := claudeStateDeps(t)
	ctx := context.Background()
	creds0, needs0 := stateFiles(t, d)

	dry, err := ResetServerAuth(ctx, d, ResetServerAuthInput{Name: "stuck-reg", DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if dry.Outcome != OutcomeDryRun || len(dry.Changes) != 2 || dry.ID != "" {
		t.Fatalf("dry run: %+v", dry)
	}
	if c, n := stateFiles(t, d); c != creds0 || n != needs0 {
		t.Fatal("a dry run changed a file")
	}
	keys := dry.Changes[0].Key + " " + dry.Changes[1].Key
	if !strings.Contains(keys, `mcpOAuth["stuck-reg|b8f8186f9cdc7f41"]`) || !strings.Contains(keys, `["stuck-reg"]`) {
		t.Errorf("dry-run keys: %s", keys)
	}

	out, err := ResetServerAuth(ctx, d, ResetServerAuthInput{Name: "stuck-reg"})
	if err != nil {
		t.Fatal(err)
	}
	if out.Outcome != OutcomeApplied || out.ID == "" || out.Before.Action != cache.ActionSkip || out.Session.Action != cache.ActionDial {
		t.Fatalf("reset: %s\n%+v", out.Text(), out)
	}
	text := out.Text()
	for _, want := range []string{"Reset " + out.ID + ": APPLIED", "Next Claude Code session: DIAL", "/mcp", "undo_reset"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	creds1, needs1 := stateFiles(t, d)
	for _, k := range []string{"stuck-noreg|4650b250e92c07fe", "hdr-a|7166bac2c034c810"} {
		p := "mcpOAuth." + gjson.Escape(k)
		if gjson.Get(creds1, p).Raw != gjson.Get(creds0, p).Raw || !gjson.Get(creds1, p).Exists() {
			t.Errorf("bystander %s changed", k)
		}
	}
	if gjson.Get(needs1, "hdr-a").Raw != gjson.Get(needs0, "hdr-a").Raw || gjson.Get(needs1, gjson.Escape("stuck-reg")).Exists() {
		t.Errorf("needs-auth after reset: %s", needs1)
	}

	again, err := ResetServerAuth(ctx, d, ResetServerAuthInput{Name: "stuck-reg"})
	if err != nil || again.Outcome != OutcomeNothing || !strings.Contains(again.Text(), "Nothing to reset") {
		t.Fatalf("second reset: %+v %v", again, err)
	}

	st, err := ResetStatus(ctx, d, ResetStatusInput{})
	if err != nil || len(st.Resets) != 1 || st.Resets[0].Status != "applied" || st.Resets[0].ID != out.ID {
		t.Fatalf("status: %+v %v", st, err)
	}
	if _, err := ResetStatus(ctx, d, ResetStatusInput{ID: "nope"}); err == nil {
		t.Error("status of an unknown id succeeded")
	}

	undo, err := UndoReset(ctx, d, UndoResetInput{ID: out.ID})
	if err != nil || undo.Outcome != UndoDone || undo.Session.Action != cache.ActionSkip {
		t.Fatalf("undo: %+v %v", undo, err)
	}
	if c, n := stateFiles(t, d); c != creds0 || n != needs0 {
		t.Fatalf("after undo the files differ:\n%s\n%s", c, n)
	}
	if undo2, err := UndoReset(ctx, d, UndoResetInput{ID: out.ID}); err != nil || undo2.Outcome != UndoAlready {
		t.Fatalf("second undo: %+v %v", undo2, err)
	}
	for _, s := range []string{text, dry.Text(), undo.Text()} {
		if strings.Contains(s, "CANARY") {
			t.Errorf("a secret leaked:\n%s", s)
		}
	}
}

// TestResetServerAuthBadInput: unknown names suggest close matches, a
// damaged store refuses with its path, and nothing changes.
func TestResetServerAuthBadInput(t *testing.T) {
	d := claudeStateDeps(t)
	ctx := context.Background()
	if _, err := ResetServerAuth(ctx, d, ResetServerAuthInput{Name: "stuck_reg"}); err == nil || !strings.Contains(err.Error(), "did you mean stuck-reg?") {
		t.Errorf("unknown name: %v", err)
	}
	if _, err := ResetServerAuth(ctx, d, ResetServerAuthInput{}); err == nil || !strings.Contains(err.Error(), "name is required") {
		t.Errorf("no name: %v", err)
	}
	if _, err := UndoReset(ctx, d, UndoResetInput{ID: "../x"}); err == nil {
		t.Error("undo of a bad id succeeded")
	}
	_, needs0 := stateFiles(t, d)
	bad := `{"mcpOAuth":{"stuck-reg|b8f8186f9cdc7f41":{"serverName":` // a write cut short
	if err := os.WriteFile(credentials.File(d.Env), []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := ResetServerAuth(ctx, d, ResetServerAuthInput{Name: "stuck-reg"})
	if err == nil || !strings.Contains(err.Error(), credentials.File(d.Env)) || !strings.Contains(err.Error(), "nothing was changed") {
		t.Fatalf("damaged credentials: %v", err)
	}
	if c, n := stateFiles(t, d); c != bad || n != needs0 {
		t.Fatal("a refused reset changed a file")
	}
	if _, err := os.Stat(filepath.Join(d.Env.StateHome(), "journal")); err == nil {
		t.Error("a refused plan left a journal entry")
	}
}

// TestResetToolsOverMCP calls the tools through an MCP session: the
// annotations are what clients rely on, and the typed result arrives as
// structured content.
func TestResetToolsOverMCP(t *testing.T) {
	d := claudeStateDeps(t)
	ctx := context.Background()
	ct, st := mcp.NewInMemoryTransports()
	if _, err := NewServer(d).Connect(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "t", Version: "1"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	tools, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	ann := map[string]*mcp.ToolAnnotations{}
	for _, tl := range tools.Tools {
		ann[tl.Name] = tl.Annotations
	}
	for name, destructive := range map[string]bool{"reset_server_auth": true, "undo_reset": true, "reset_status": false} {
		a := ann[name]
		if a == nil || a.DestructiveHint == nil || *a.DestructiveHint != destructive || !a.IdempotentHint ||
			a.OpenWorldHint == nil || *a.OpenWorldHint || a.ReadOnlyHint == destructive {
			t.Errorf("%s annotations: %+v", name, a)
		}
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "reset_server_auth", Arguments: map[string]any{"name": "stuck-noreg"}})
	if err != nil || res.IsError {
		t.Fatalf("call: %v %+v", err, res)
	}
	var out ResetServerAuthOutput
	b, _ := json.Marshal(res.StructuredContent)
	if err := json.Unmarshal(b, &out); err != nil || out.Outcome != OutcomeApplied || out.Session.Action != cache.ActionDial || out.ID == "" {
		t.Fatalf("structured: %s (%v)", b, err)
	}
	res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "reset_status", Arguments: map[string]any{"id": out.ID}})
	if err != nil || res.IsError || !strings.Contains(res.Content[0].(*mcp.TextContent).Text, "delete") {
		t.Fatalf("reset_status: %v %+v", err, res)
	}
}

// BenchmarkResetDryRun and BenchmarkServerStateStuck compare what a dry run
// (discovery, one inspection, one plan over every store) costs against
// server_state for the same stuck server on the real-CLI fixture.
func BenchmarkResetDryRun(b *testing.B) {
	d := claudeStateDeps(b)
	for b.Loop() {
		if _, err := ResetServerAuth(context.Background(), d, ResetServerAuthInput{Name: "stuck-reg", DryRun: true}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkServerStateStuck(b *testing.B) {
	d := claudeStateDeps(b)
	for b.Loop() {
		if _, err := ServerState(context.Background(), d, ServerStateInput{Name: "stuck-reg"}); err != nil {
			b.Fatal(err)
		}
	}
}
