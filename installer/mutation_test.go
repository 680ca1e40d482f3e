package installer

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpmend/mcpmend/cache/journal"
	"github.com/mcpmend/mcpmend/registry"
)

func testEnv(t *testing.T) registry.Env {
	home := t.TempDir()
	return registry.Env{Home: home, GOOS: "linux", Getenv: func(string) string { return "" }}
}

func cursorFile(t *testing.T, env registry.Env, content string) string {
	t.Helper()
	p := filepath.Join(env.Home, ".cursor", "mcp.json")
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestUndoKeepsLaterEditsOfOtherEntries(t *testing.T) {
	env := testEnv(t)
	p := cursorFile(t, env, "{\n  \"mcpServers\": {\n    \"a\": {\"command\": \"a\"}\n  }\n}\n")
	ctx := context.Background()
	res, err := Run(ctx, env, nil, Options{Clients: []string{"cursor"}, Command: "/bin/mcpmend"})
	if err != nil || res.Clients[0].Outcome != Installed {
		t.Fatalf("%+v %v", res, err)
	}
	// The user adds a server after the install: undo must keep it.
	data, _ := os.ReadFile(p)
	data = []byte(strings.Replace(string(data), `"a": {"command": "a"}`, `"a": {"command": "a"}, "b": {"command": "b"}`, 1))
	os.WriteFile(p, data, 0o600)
	if _, err := journal.Open(env, nil).Undo(ctx, res.JournalID); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(p)
	if strings.Contains(string(got), "mcpmend") || !strings.Contains(string(got), `"b": {"command": "b"}`) {
		t.Fatalf("after undo:\n%s", got)
	}
}

func TestUndoRefusesAnEntryChangedSince(t *testing.T) {
	env := testEnv(t)
	p := cursorFile(t, env, "{}")
	ctx := context.Background()
	res, err := Run(ctx, env, nil, Options{Clients: []string{"cursor"}, Command: "/bin/mcpmend"})
	if err != nil {
		t.Fatal(err)
	}
	changed := []byte(`{"mcpServers": {"mcpmend": {"command": "/elsewhere/mcpmend", "args": ["serve"]}}}`)
	os.WriteFile(p, changed, 0o600)
	_, err = journal.Open(env, nil).Undo(ctx, res.JournalID)
	var ce *journal.ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("undo: %v, want a ConflictError", err)
	}
	if got, _ := os.ReadFile(p); string(got) != string(changed) {
		t.Fatalf("a refused undo changed the file:\n%s", got)
	}
}

func TestApplyRefusesAnEntryWrittenAfterPlanning(t *testing.T) {
	env := testEnv(t)
	p := cursorFile(t, env, "{}")
	m := &EntryChange{Client: "cursor", File: p, Format: registry.FormatJSON, Container: "mcpServers", Name: Name,
		Action: "add", After: EntryFor("cursor", "/bin/mcpmend")}
	os.WriteFile(p, []byte(`{"mcpServers": {"mcpmend": {"command": "other"}}}`), 0o600)
	if err := m.Apply(context.Background(), t.TempDir()); err == nil || !strings.Contains(err.Error(), "changed") {
		t.Fatalf("Apply: %v, want a refusal", err)
	}
}

func TestUnparsableFileIsRefused(t *testing.T) {
	env := testEnv(t)
	p := cursorFile(t, env, "{\"mcpServers\": ")
	res, err := Run(context.Background(), env, nil, Options{Clients: []string{"cursor"}, Command: "/bin/mcpmend"})
	if err != nil || res.Clients[0].Outcome != Refused || !strings.Contains(res.Clients[0].Message, p) || !res.Failed() {
		t.Fatalf("%+v %v", res, err)
	}
	if _, err := Run(context.Background(), env, nil, Options{Clients: []string{"emacs"}}); err == nil || !strings.Contains(err.Error(), "claude-code") {
		t.Fatalf("unknown client: %v", err)
	}
}
