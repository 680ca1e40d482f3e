//go:build unix

package registry

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// discoverWithin runs Discover and fails the test when it does not return
// before the deadline (a FIFO read would block forever).
func discoverWithin(t *testing.T, env Env, d time.Duration) *Inventory {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	done := make(chan *Inventory, 1)
	go func() { done <- Discover(env) }()
	select {
	case inv := <-done:
		return inv
	case <-ctx.Done():
		t.Fatalf("Discover did not return within %s", d)
		return nil
	}
}

// TestHostileFiles: a FIFO, a symlink to /dev/zero, deep nesting and an
// oversized file are each a clear problem naming the file, in bounded time.
func TestHostileFiles(t *testing.T) {
	home, repo := t.TempDir(), t.TempDir()
	fifo := filepath.Join(repo, ".vscode", "mcp.json")
	must(t, os.MkdirAll(filepath.Dir(fifo), 0o755))
	must(t, syscall.Mkfifo(fifo, 0o600))
	zero := filepath.Join(repo, ".mcp.json")
	must(t, os.Symlink("/dev/zero", zero))
	deep := filepath.Join(repo, ".cursor", "mcp.json")
	must(t, os.MkdirAll(filepath.Dir(deep), 0o755))
	must(t, os.WriteFile(deep, []byte(strings.Repeat("[", 8<<20)), 0o600))
	toml := filepath.Join(repo, ".codex", "config.toml")
	must(t, os.MkdirAll(filepath.Dir(toml), 0o755))
	must(t, os.WriteFile(toml, []byte("a = "+strings.Repeat("[", 1<<20)), 0o600))
	big := filepath.Join(repo, ".gemini", "settings.json")
	must(t, os.MkdirAll(filepath.Dir(big), 0o755))
	f, err := os.Create(big)
	must(t, err)
	must(t, f.Truncate(200<<20)) // sparse: 200 MB without writing them
	f.Close()

	inv := discoverWithin(t, Env{Home: home, CWD: repo, GOOS: "linux", Getenv: func(string) string { return "" }}, time.Minute)
	problemFor(t, inv, fifo, "not a regular file (a FIFO)")
	problemFor(t, inv, zero, "not a regular file (a device)")
	problemFor(t, inv, deep, "nested more than")
	problemFor(t, inv, toml, "nested more than")
	problemFor(t, inv, big, "more than the 16 MB")
}

// TestHostileClaudeJSON: ~/.claude.json as a FIFO or nested 40 MB deep.
func TestHostileClaudeJSON(t *testing.T) {
	home := t.TempDir()
	main := filepath.Join(home, ".claude.json")
	must(t, syscall.Mkfifo(main, 0o600))
	env := Env{Home: home, GOOS: "linux", Getenv: func(string) string { return "" }}
	problemFor(t, discoverWithin(t, env, time.Minute), main, "FIFO")
	must(t, os.Remove(main))
	must(t, os.WriteFile(main, []byte(`{"a":`+strings.Repeat("[", 40<<20)), 0o600))
	problemFor(t, discoverWithin(t, env, time.Minute), main, "invalid JSON")
}
