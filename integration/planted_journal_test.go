//go:build unix

package integration

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// treeHashes maps every file under root (but skip) to its mode and content hash.
func treeHashes(t *testing.T, root, skip string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if p == skip {
			return filepath.SkipDir
		}
		if d.IsDir() {
			return nil
		}
		fi, _ := os.Lstat(p)
		b, _ := os.ReadFile(p)
		sum := sha256.Sum256(b)
		out[p] = fi.Mode().String() + " " + hex.EncodeToString(sum[:])
		return nil
	})
	return out
}

// plantEntry writes a hand-made journal entry: each step's spec and, when
// given, a backup directory with files.
func plantEntry(t *testing.T, journalDir, id string, server string, steps []map[string]any, backups map[string]map[string]string) {
	t.Helper()
	dir := filepath.Join(journalDir, id)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for b, files := range backups {
		os.MkdirAll(filepath.Join(dir, b), 0o700)
		for name, data := range files {
			os.WriteFile(filepath.Join(dir, b, name), []byte(data), 0o600)
		}
	}
	e := map[string]any{"id": id, "server": map[string]any{"name": server, "client": "claude-code"},
		"created": "2026-01-01T00:00:00Z", "updated": "2026-01-01T00:00:00Z", "steps": steps}
	b, _ := json.MarshalIndent(e, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "entry.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestPlantedJournalIsDataNotInstructions: entries planted in the journal of
// a home name files outside the stores, a program to run as security(1), a
// ~/.claude.json "command" entry to put back, another server's key, a store
// that does not match its kind. Every command that reads the journal —
// read-only ones and the ones that replay, undo included — changes no file
// outside mcpmend's state directory and runs nothing.
func TestPlantedJournalIsDataNotInstructions(t *testing.T) {
	home := t.TempDir()
	outside := t.TempDir()
	marker := filepath.Join(outside, "MARKER")
	victim := filepath.Join(outside, "victim.txt")
	os.WriteFile(victim, []byte("keep me"), 0o600)
	evil := filepath.Join(outside, "security")
	os.WriteFile(evil, []byte("#!/bin/sh\ntouch "+marker+"\n"), 0o755)
	claudeDir := filepath.Join(home, ".claude")
	os.MkdirAll(claudeDir, 0o700)
	os.WriteFile(filepath.Join(home, ".claude.json"), []byte(`{"mcpServers":{}}`), 0o600)
	needs := filepath.Join(claudeDir, "mcp-needs-auth-cache.json")
	os.WriteFile(needs, []byte(`{"other":{"timestamp":1},"srv":{"timestamp":2}}`), 0o600)
	creds := filepath.Join(claudeDir, ".credentials.json")
	os.WriteFile(creds, []byte(`{"mcpOAuth":{"other|1":{"serverName":"other"}}}`), 0o600)
	mr := filepath.Join(home, ".mcp-auth", "mcp-remote-0.1.29")
	os.MkdirAll(mr, 0o700)
	state := filepath.Join(home, ".local", "state", "mcpmend")
	jdir := filepath.Join(state, "journal")
	os.MkdirAll(jdir, 0o700)
	lock := map[string]any{"path": filepath.Join(claudeDir, ".storage-write.lock"), "stale": 15e9}

	step := func(store, kind string, spec any, status string) map[string]any {
		return map[string]any{"store": store, "kind": kind, "spec": spec, "status": status, "backup": "backup-0",
			"updated": "2026-01-01T00:00:00Z", "wait_until": "2099-01-01T00:00:00Z"}
	}
	hash := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
	// 1. mcp-remote: "restore" an executable outside the home; delete a victim.
	plantEntry(t, jdir, "20260101T000000Z-00000001", "srv", []map[string]any{
		step("mcp-remote", "file-delete", map[string]any{"store": "mcp-remote", "targets": []any{
			map[string]any{"path": filepath.Join(outside, "dropped.sh"), "sha256": hash("x"), "perm": 0o755}}}, "applied")},
		map[string]map[string]string{"backup-0": {"file-0": "#!/bin/sh\ntouch " + marker + "\n"}})
	plantEntry(t, jdir, "20260101T000000Z-00000002", "srv", []map[string]any{
		step("mcp-remote", "file-delete", map[string]any{"store": "mcp-remote", "targets": []any{
			map[string]any{"path": victim, "sha256": hash("keep me"), "perm": 0o600}}}, "planned")}, nil)
	// 2. a credentials step naming ~/.claude.json, putting a command entry back.
	plantEntry(t, jdir, "20260101T000000Z-00000003", "srv", []map[string]any{
		step("claude-code/credentials", "json-delete", map[string]any{"store": "claude-code/credentials",
			"file": filepath.Join(home, ".claude.json"), "lock": lock, "perm": 0o600, "style": 0,
			"targets": []any{map[string]any{"path": []string{"mcpServers", "evil"}, "sha256": hash("{}")}}}, "applied")},
		map[string]map[string]string{"backup-0": {"records.json": `[{"path":["mcpServers","evil"],"raw":"{\"command\":\"` + evil + `\"}"}]`}})
	// 3. a Keychain step naming its own security program.
	plantEntry(t, jdir, "20260101T000000Z-00000004", "srv", []map[string]any{
		step("claude-code/keychain", "keychain-delete", map[string]any{"security": evil,
			"item": map[string]any{"service": "Claude Code-credentials", "account": "x"}, "lock": lock,
			"targets": []any{map[string]any{"path": []string{"mcpOAuth", "srv|1"}, "sha256": hash("{}")}}}, "planned")}, nil)
	// 4. the right needs-auth file, but another server's key; and a kind
	// filed under the wrong store.
	plantEntry(t, jdir, "20260101T000000Z-00000005", "srv", []map[string]any{
		step("claude-code/needs-auth", "json-delete", map[string]any{"store": "claude-code/needs-auth", "file": needs,
			"targets": []any{map[string]any{"path": []string{"other"}, "sha256": hash(`{"timestamp":1}`)}}}, "planned"),
		step("claude-code/needs-auth", "file-delete", map[string]any{"store": "claude-code/needs-auth", "targets": []any{
			map[string]any{"path": creds, "sha256": hash(`{"mcpOAuth":{"other|1":{"serverName":"other"}}}`), "perm": 0o600}}}, "planned")}, nil)

	before := treeHashes(t, home, state)
	beforeOut := treeHashes(t, outside, "")
	runs := [][]string{{"list"}, {"status"}, {"checkup", "--no-probe"}, {"apply-pending", "--once"}}
	for i := 1; i <= 5; i++ {
		runs = append(runs, []string{"undo", "20260101T000000Z-0000000" + string(rune('0'+i))})
	}
	var refused int
	for _, args := range runs {
		_, stderr, _ := runCLI(t, home, args...)
		refused += strings.Count(stderr, "refused")
		if _, err := os.Stat(marker); err == nil {
			t.Fatalf("mcpmend %v ran a program named by the journal", args)
		}
	}
	if refused == 0 {
		t.Error("no command warned that it refused a planted step")
	}
	assertSameTree(t, "home", before, treeHashes(t, home, state))
	assertSameTree(t, "outside the home", beforeOut, treeHashes(t, outside, ""))
}

func assertSameTree(t *testing.T, what string, before, after map[string]string) {
	t.Helper()
	for p, h := range before {
		if after[p] != h {
			t.Errorf("%s: %s changed: %q → %q", what, p, h, after[p])
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok {
			t.Errorf("%s: %s appeared", what, p)
		}
	}
}

// TestDamagedEntryShownByStatus: an entry.json that does not parse is shown
// as damaged, not as "No resets recorded", and is never run.
func TestDamagedEntryShownByStatus(t *testing.T) {
	home := t.TempDir()
	dir := filepath.Join(home, ".local", "state", "mcpmend", "journal", "20260101T000000Z-000001")
	os.MkdirAll(dir, 0o700)
	os.WriteFile(filepath.Join(dir, "entry.json"), []byte(`{"id":"20260101T000000Z-000001","steps":[{"store":`), 0o600)
	out, stderr, code := runCLI(t, home, "status")
	if code != 0 || !strings.Contains(out, "DAMAGED") || strings.Contains(out, "No resets recorded") {
		t.Errorf("status of a damaged journal: %d\n%s\n%s", code, out, stderr)
	}
	out, _, _ = runCLI(t, home, "status", "--json")
	if !strings.Contains(out, `"damaged"`) {
		t.Errorf("status --json does not list the damaged entry:\n%s", out)
	}
}
