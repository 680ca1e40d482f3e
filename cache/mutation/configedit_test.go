package mutation

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mcpmend/mcpmend/internal/lockedfile"
	"github.com/mcpmend/mcpmend/registry"
)

// nodeClaudeJSON is ~/.claude.json as Claude Code writes it: 2-space
// JSON.stringify, no trailing newline.
const nodeClaudeJSON = `{
  "numStartups": 3,
  "mcpServers": {
    "github": {
      "type": "http",
      "url": "https://api.example.com/mcp",
      "headers": {
        "Authorization": "Bearer CANARY-edit-token"
      }
    },
    "files": {
      "command": "npx",
      "args": []
    }
  },
  "projects": {
    "/home/u/a.b*c": {
      "mcpServers": {}
    }
  }
}`

func editHome(t *testing.T, body string, mode os.FileMode) (registry.Env, string) {
	t.Helper()
	home := t.TempDir()
	env := registry.Env{Home: home, CWD: home, GOOS: "linux", Getenv: func(string) string { return "" }}
	file := env.ClaudeJSON()
	if err := os.WriteFile(file, []byte(body), mode); err != nil {
		t.Fatal(err)
	}
	os.Chmod(file, mode)
	return env, file
}

func TestEditKeepsNodeLayoutAndEveryOtherByte(t *testing.T) {
	env, file := editHome(t, nodeClaudeJSON, 0o600)
	res, err := EditConfig(context.Background(), env, file, []Edit{
		{Path: []string{"mcpServers", "files"}},
		{Path: []string{"projects", "/home/u/a.b*c", "mcpServers", "new.srv"}, Value: json.RawMessage(`{"type":"sse","url":"http://127.0.0.1:1/sse"}`)},
	})
	if err != nil || !res.Changed {
		t.Fatalf("edit: %v %+v", err, res)
	}
	want := `{
  "numStartups": 3,
  "mcpServers": {
    "github": {
      "type": "http",
      "url": "https://api.example.com/mcp",
      "headers": {
        "Authorization": "Bearer CANARY-edit-token"
      }
    }
  },
  "projects": {
    "/home/u/a.b*c": {
      "mcpServers": {
        "new.srv": {
          "type": "sse",
          "url": "http://127.0.0.1:1/sse"
        }
      }
    }
  }
}`
	got, _ := os.ReadFile(file)
	if string(got) != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if fi, _ := os.Stat(file); runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want the file's own 0600", fi.Mode().Perm())
	}
	if b, err := os.ReadFile(res.Backup); err != nil || string(b) != nodeClaudeJSON {
		t.Fatalf("backup %s: %v", res.Backup, err)
	}
	if !strings.HasPrefix(res.Backup, env.StateHome()) {
		t.Errorf("backup %s is outside the state directory", res.Backup)
	}
	if _, err := os.Stat(file + ".lock"); !errors.Is(err, os.ErrNotExist) {
		t.Error("lock left behind")
	}
}

func TestEditNoChangeWritesNothing(t *testing.T) {
	env, file := editHome(t, nodeClaudeJSON, 0o600)
	fi0, _ := os.Stat(file)
	res, err := EditConfig(context.Background(), env, file, []Edit{{Path: []string{"mcpServers", "absent"}}})
	if err != nil || res.Changed || res.Backup != "" {
		t.Fatalf("%v %+v", err, res)
	}
	if fi, _ := os.Stat(file); !fi.ModTime().Equal(fi0.ModTime()) {
		t.Error("an edit that changes nothing rewrote the file")
	}
}

func TestEditRefusesWhileClaudeCodeHoldsItsLock(t *testing.T) {
	env, file := editHome(t, nodeClaudeJSON, 0o600)
	// Claude Code's lock is a bare directory, refreshed by its holder.
	if err := os.Mkdir(file+".lock", 0o777); err != nil {
		t.Fatal(err)
	}
	ed := &Editor{Env: env, LockWait: 300 * time.Millisecond}
	_, err := ed.Edit(context.Background(), file, []Edit{{Path: []string{"mcpServers", "github"}}})
	var le *lockedfile.LockedError
	if !errors.As(err, &le) || !strings.Contains(err.Error(), ".claude.json.lock") || !strings.Contains(err.Error(), "Claude Code") {
		t.Fatalf("edit under a held lock: %v", err)
	}
	if got, _ := os.ReadFile(file); string(got) != nodeClaudeJSON {
		t.Fatal("file changed under Claude Code's lock")
	}
	if _, err := os.Stat(file + ".lock"); err != nil {
		t.Fatal("the holder's lock was removed")
	}
	if strings.Contains(err.Error(), "CANARY") {
		t.Fatal("secret in error")
	}
}

func TestEditBadInputChangesNothing(t *testing.T) {
	tests := []struct {
		name, body string
		edit       Edit
		want       string
	}{
		{"malformed file", "{\n  \"mcpServers\": {,\n}", Edit{Path: []string{"mcpServers", "x"}}, "line 2"},
		{"not an object", `[1]`, Edit{Path: []string{"x"}}, "not a strict JSON object"},
		{"value not JSON", nodeClaudeJSON, Edit{Path: []string{"mcpServers", "x"}, Value: json.RawMessage(`{bad`)}, "not valid JSON"},
		{"path through a string", nodeClaudeJSON, Edit{Path: []string{"mcpServers", "github", "url", "x"}, Value: json.RawMessage(`1`)}, "not an object"},
		{"empty key", nodeClaudeJSON, Edit{Path: []string{"mcpServers", ""}}, "empty key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, file := editHome(t, tt.body, 0o644)
			_, err := EditConfig(context.Background(), env, file, []Edit{tt.edit})
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), file) {
				t.Fatalf("error %v, want one naming %s and %q", err, file, tt.want)
			}
			if got, _ := os.ReadFile(file); string(got) != tt.body {
				t.Fatal("bad input changed the file")
			}
		})
	}
	env := registry.Env{Home: t.TempDir(), GOOS: "linux", Getenv: func(string) string { return "" }}
	if _, err := EditConfig(context.Background(), env, filepath.Join(env.Home, ".mcp.json"), []Edit{{Path: []string{"a"}}}); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("missing file: %v", err)
	}
}

func TestEditHandWrittenFileIsNotReindented(t *testing.T) {
	body := "{\n    \"mcpServers\": {\n        \"a\": {\"command\": \"x\"},\n        \"b\": {\"command\": \"y\"}\n    }\n}\n"
	home := t.TempDir()
	env := registry.Env{Home: home, GOOS: "linux", Getenv: func(string) string { return "" }}
	file := filepath.Join(home, ".mcp.json")
	os.WriteFile(file, []byte(body), 0o644)
	if _, err := EditConfig(context.Background(), env, file, []Edit{{Path: []string{"mcpServers", "b"}, Value: json.RawMessage(`{"command":"z"}`)}}); err != nil {
		t.Fatal(err)
	}
	want := "{\n    \"mcpServers\": {\n        \"a\": {\"command\": \"x\"},\n        \"b\": {\"command\":\"z\"}\n    }\n}\n"
	if got, _ := os.ReadFile(file); string(got) != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	if fi, _ := os.Stat(file); runtime.GOOS != "windows" && fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644 kept", fi.Mode().Perm())
	}
}

func TestEditBackupsAreBounded(t *testing.T) {
	env, file := editHome(t, nodeClaudeJSON, 0o600)
	ed := &Editor{Env: env, KeepBackups: 3}
	for i := range 6 {
		v := json.RawMessage(`{"command":"c` + string(rune('0'+i)) + `"}`)
		if _, err := ed.Edit(context.Background(), file, []Edit{{Path: []string{"mcpServers", "files"}, Value: v}}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond)
	}
	m, _ := filepath.Glob(filepath.Join(env.StateHome(), "config-backups", "claude.json-*"))
	if len(m) != 3 {
		t.Fatalf("%d backups kept, want 3: %v", len(m), m)
	}
}

// TestPruneConfigBackups: whole-file copies the editor saved go once older
// than the retention (a dry run only lists them); newer ones and other files
// stay.
func TestPruneConfigBackups(t *testing.T) {
	env, _ := editHome(t, nodeClaudeJSON, 0o600)
	dir := filepath.Join(env.StateHome(), "config-backups")
	os.MkdirAll(dir, 0o700)
	now := time.Now()
	mk := func(name string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(`{"mcpServers":{"x":{"env":{"T":"CANARY"}}}}`), 0o600)
		return p
	}
	old := mk("claude.json-0a0b0c0d." + strconv.FormatInt(now.Add(-40*24*time.Hour).UnixMilli(), 10))
	fresh := mk("claude.json-0a0b0c0d." + strconv.FormatInt(now.Add(-time.Hour).UnixMilli(), 10))
	other := mk("notes.txt")
	if got := PruneConfigBackups(env, 30*24*time.Hour, now, true); len(got) != 1 || got[0] != old {
		t.Fatalf("dry run lists %v", got)
	}
	if _, err := os.Stat(old); err != nil {
		t.Fatal("a dry run removed a backup")
	}
	if got := PruneConfigBackups(env, 30*24*time.Hour, now, false); len(got) != 1 || got[0] != old {
		t.Fatalf("prune removed %v", got)
	}
	for _, p := range []string{fresh, other} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s was removed", p)
		}
	}
	if _, err := os.Stat(old); err == nil {
		t.Error("the expired backup is still there")
	}
}
