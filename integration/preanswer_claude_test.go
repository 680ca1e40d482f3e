//go:build linux

package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// recordedServe registers, in a new home, mcpmend serve behind a wrapper
// that records what the client writes to its stdin, what it writes to
// stdout and stderr, runs `claude mcp list` there and returns the listing,
// the files' contents: stdin, stdout, stderr.
func recordedServe(t *testing.T, claude string, env ...string) (list, stdin, stdout, stderr string) {
	t.Helper()
	home, rec := t.TempDir(), t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, ".claude"), 0o700); err != nil {
		t.Fatal(err)
	}
	wrapper := filepath.Join(rec, "serve.sh")
	script := fmt.Sprintf("#!/bin/sh\nexec 2>>'%[1]s/stderr'\n%[2]s tee -a '%[1]s/stdin' | '%[3]s' serve | tee -a '%[1]s/stdout'\n",
		rec, strings.Join(env, " "), binary)
	if err := os.WriteFile(wrapper, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	cfg, _ := json.Marshal(map[string]any{"mcpServers": map[string]any{"mcpmend": map[string]any{"type": "stdio", "command": wrapper, "args": []string{}}}})
	if err := os.WriteFile(filepath.Join(home, ".claude.json"), cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	list = runClaude(t, claude, home, t.TempDir(), false, "mcp", "list")
	read := func(name string) string {
		b, _ := os.ReadFile(filepath.Join(rec, name))
		return string(b)
	}
	return list, read("stdin"), read("stdout"), read("stderr")
}

// responseIDs counts the responses in a stdout transcript by id.
func responseIDs(t *testing.T, stdout string) map[string]int {
	t.Helper()
	ids := map[string]int{}
	for _, l := range strings.SplitAfter(stdout, "\n") {
		if l == "" {
			continue
		}
		var m struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
		}
		if err := json.Unmarshal([]byte(l), &m); err != nil || !strings.HasSuffix(l, "\n") {
			t.Errorf("stdout holds more than protocol: %.200q", l)
		}
		if m.Method == "" {
			ids[string(m.ID)]++
		}
	}
	return ids
}

// TestServePreanswerClaudeCodeVersions: every installed Claude Code
// connects to the built binary over stdio (claude mcp list shows it
// connected); each response reaches it once, stdout holds protocol only,
// stderr nothing. 2.1.328 speaks the 2026-07-28 protocol: its first line,
// server/discover, is pre-answered, and what it reads is, line for line,
// what it reads with the pre-answer off.
func TestServePreanswerClaudeCodeVersions(t *testing.T) {
	for _, v := range claudeVersions {
		t.Run(v.version, func(t *testing.T) {
			claude := claudeAt(t, v.pkg)
			list, stdin, stdout, stderr := recordedServe(t, claude)
			if !connected(list) {
				t.Fatalf("claude mcp list:\n%s", list)
			}
			if stderr != "" {
				t.Errorf("stderr: %s", stderr)
			}
			for id, n := range responseIDs(t, stdout) {
				if n != 1 {
					t.Errorf("%d responses with id %s:\n%.2000s", n, id, stdout)
				}
			}
			if v.version != "2.1.328" {
				return
			}
			if !strings.HasPrefix(stdin, `{"jsonrpc":"2.0","id":"server-discover-probe-1","method":"server/discover",`) ||
				!strings.HasPrefix(stdout, `{"jsonrpc":"2.0","id":"server-discover-probe-1","result":{"resultType":"complete",`) {
				t.Fatalf("not the 2026-07-28 session:\nstdin %.300s\nstdout %.300s", stdin, stdout)
			}
			offList, _, offStdout, offStderr := recordedServe(t, claude, "MCPMEND_PREANSWER=off")
			on, off := strings.SplitAfter(stdout, "\n"), strings.SplitAfter(offStdout, "\n")
			slices.Sort(on) // go-sdk answers concurrently: the order may vary
			slices.Sort(off)
			if !connected(offList) || offStderr != "" || !slices.Equal(on, off) {
				t.Errorf("pre-answered:\n%.3000s\nnot:\n%.3000s\nstderr off: %s", stdout, offStdout, offStderr)
			}
		})
	}
}

// connected reports whether claude mcp list shows mcpmend connected (✓ in
// 2.1.119 and 2.1.150, ✔ in 2.1.328).
func connected(list string) bool {
	return lineWith(list, "mcpmend", "✔ Connected") || lineWith(list, "mcpmend", "✓ Connected")
}
