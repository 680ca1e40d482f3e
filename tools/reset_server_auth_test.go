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
	"github.com/mcpmend/mcpmend/cache/journal"
	"github.com/mcpmend/mcpmend/cache/needsauth"
	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/registry"
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

// TestResetBriefWhileDesktopWaits: what a model reads of a reset whose
// Desktop part waits names each record once (no files, no value
// descriptions), says the quit step once (as next, not again in pick_up),
// leaves out the mere mentions and the agreeing per-install verdicts, and
// keeps a worker note only when the worker could not start; a dry run
// keeps every record's file and detail.
func TestResetBriefWhileDesktopWaits(t *testing.T) {
	srv := registry.Server{Name: "acct", Client: registry.ClaudeCode, Scope: "user", File: "/h/.claude.json", Path: "mcpServers.acct",
		Transport: registry.HTTP, URL: "http://127.0.0.1:9/mcp", HeaderNames: []string{"Authorization"}, Effective: true}
	gate := journal.Change{Store: store.NeedsAuth, File: "/h/.claude/mcp-needs-auth-cache.json", Key: "acct", Kind: "needs-auth", Action: "delete", Detail: "the needs-auth cache entry"}
	item := journal.Change{Store: store.Desktop, File: "/h/.config/Claude/Local Storage/leveldb", Key: "https://claude.ai mcp:acct:auth", Kind: "local-storage-item", Action: "delete", Detail: "Latin-1 value, 20 chars: [redacted]"}
	kept := store.Record{Store: store.Credentials, Kind: "tokens", Key: "acct|x", Resettable: false, Detail: "kept"}
	for _, started := range []bool{true, false} {
		o := &ResetServerAuthOutput{Server: srv, Outcome: OutcomeWaiting, ID: "20261126T101500Z-1a2b3c4d",
			Changes: []journal.Change{gate, item},
			Steps:   []StepView{{Store: store.NeedsAuth, Status: journal.StatusApplied}, {Store: store.Desktop, Status: journal.StatusWaiting, Reason: "Claude Desktop is running (pid 7)"}},
			Session: &cache.Session{Action: cache.ActionDial, Reason: "both connect", Clients: []cache.ClientVerdict{{Who: "a", Action: cache.ActionDial}, {Who: "b", Action: cache.ActionDial}}},
			Remaining: []store.Record{
				{Store: store.Desktop, Key: item.Key, Kind: "local-storage-item", Resettable: true},
				{Store: store.Desktop, Key: "https://claude.ai recentServers", Kind: "local-storage-mention"},
				kept,
			},
			PickUp: []string{"Claude Code: new sessions connect", quitDesktop("acct")}}
		o.Notes, o.mentions = []string{"1 record(s) only mention the server inside other data: left alone"}, "1 record(s) only mention the server inside other data: left alone"
		note := "apply-pending (pid 9) waits"
		if !started {
			note = "could not start the apply-pending worker"
		} else {
			o.worker = note
		}
		o.Notes = append(o.Notes, note)
		o.lead()
		b := o.brief()
		raw, _ := json.Marshal(b)
		js := string(raw)
		for _, gone := range []string{"/h/", "Latin-1", "recentServers", `"clients"`, "pid 7", "only mention"} {
			if strings.Contains(js, gone) {
				t.Errorf("started=%v: the brief still says %q:\n%s", started, gone, js)
			}
		}
		if !strings.Contains(b.Next.Step, quitDesktop("acct")) || len(b.PickUp) != 1 || len(b.Remaining) != 1 || len(b.Changes) != 2 {
			t.Errorf("started=%v: brief %s", started, js)
		}
		if has := strings.Contains(js, "could not start"); has == started {
			t.Errorf("started=%v: worker note in the brief: %v\n%s", started, has, js)
		}
		if !strings.Contains(b.Verdict, "except Claude Desktop's part") {
			t.Errorf("verdict %q", b.Verdict)
		}
	}
	dry := &ResetServerAuthOutput{Server: srv, Outcome: OutcomeDryRun, Changes: []journal.Change{gate, item}}
	dry.lead()
	if c := dry.brief().Changes; c[0].File == "" || c[1].Detail == "" {
		t.Errorf("a dry run's brief lost the records' files or details: %+v", c)
	}
}
