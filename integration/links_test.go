//go:build unix

package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// linkInto moves file into home/dotfiles and leaves a symlink (or, with
// hard, a second hard link) at its place, as a dotfiles manager does.
func linkInto(t *testing.T, home, file string, hard bool) (target string) {
	t.Helper()
	target = filepath.Join(home, "dotfiles", filepath.Base(file))
	os.MkdirAll(filepath.Dir(target), 0o700)
	if err := os.Rename(file, target); err != nil {
		t.Fatal(err)
	}
	link := os.Symlink
	if hard {
		link = os.Link
	}
	if err := link(target, file); err != nil {
		t.Fatal(err)
	}
	return target
}

// TestLinkedCredentialsAreRefused: a .credentials.json that is a symlink
// or a second hard link is never replaced by a plain file: the reset is
// refused before anything is recorded, saying what Claude Code does with
// such a file, diagnose reports it, and both names keep their content.
func TestLinkedCredentialsAreRefused(t *testing.T) {
	for _, hard := range []bool{false, true} {
		sc := newCancelScene(t)
		target := linkInto(t, sc.home, sc.creds, hard)
		out, stderr, code := runCLI(t, sc.home, "reset", "srv", "--client", "claude-code")
		want := "is a symlink to " + target
		if hard {
			want = "has 2 hard links"
		}
		if code != 1 || !strings.Contains(stderr, want) || !strings.Contains(stderr, "Claude Code reads it through the link") {
			t.Errorf("hard=%v: reset exit %d, want 1 and %q with what Claude Code does:\n%s%s", hard, code, want, out, stderr)
		}
		sc.assertUntouched(t, "after the refused reset")
		if fi, err := os.Lstat(sc.creds); err != nil || (fi.Mode()&os.ModeSymlink != 0) == hard {
			t.Errorf("hard=%v: the link was replaced: %v %v", hard, fi.Mode(), err)
		}
		if _, err := os.Stat(filepath.Join(sc.home, ".local", "state", "mcpmend", "journal")); err == nil {
			t.Errorf("hard=%v: a refused reset was journalled", hard)
		}
		out, _, _ = runCLI(t, sc.home, "diagnose", "srv", "--client", "claude-code", "--no-probe", "--json")
		if !strings.Contains(out, `"linked-credentials"`) || !strings.Contains(out, "Claude Code reads it through the link") {
			t.Errorf("hard=%v: diagnose has no linked-credentials finding:\n%s", hard, out)
		}
	}
}

// TestLinkedStoresWrittenThrough: the needs-auth cache (Claude Code
// rewrites it in place, following a link) and ~/.claude.json (Claude Code
// writes it through a link) are written through a symlink: the link stays,
// its target changes, and undo puts the target's bytes back.
func TestLinkedStoresWrittenThrough(t *testing.T) {
	sc := newCancelScene(t)
	needsTarget := linkInto(t, sc.home, sc.needs, false)
	r := resetCLI(t, sc.home, "srv")
	if r.Outcome != "applied" {
		t.Fatalf("reset with a symlinked needs-auth cache: %+v", r)
	}
	if fi, _ := os.Lstat(sc.needs); fi.Mode()&os.ModeSymlink == 0 {
		t.Fatal("the needs-auth link was replaced by a plain file")
	}
	if got := readFile(t, needsTarget); strings.Contains(got, `"srv"`) {
		t.Fatalf("the link's target still holds srv: %s", got)
	}
	if out, stderr, code := runCLI(t, sc.home, "undo", r.ID); code != 0 {
		t.Fatalf("undo: %d\n%s%s", code, out, stderr)
	}
	if got := readFile(t, needsTarget); got != sc.needsData {
		t.Fatalf("undo through the link: %s, want %s", got, sc.needsData)
	}

	// ~/.claude.json as Claude Code writes it (Node's 2-space layout), so
	// undo gives back its bytes exactly.
	cfg := filepath.Join(sc.home, ".claude.json")
	var doc any
	json.Unmarshal([]byte(readFile(t, cfg)), &doc)
	b, _ := json.MarshalIndent(doc, "", "  ")
	os.WriteFile(cfg, b, 0o600)
	orig := string(b)
	cfgTarget := linkInto(t, sc.home, cfg, false)
	ir := install(t, sc.home, 0, "install", "--client", "claude-code")
	outcome(t, ir, "installed")
	if fi, _ := os.Lstat(cfg); fi.Mode()&os.ModeSymlink == 0 {
		t.Fatal("install replaced the ~/.claude.json link by a plain file")
	}
	if got := readFile(t, cfgTarget); !strings.Contains(got, binary) {
		t.Fatalf("the link's target has no mcpmend entry:\n%s", got)
	}
	if out, stderr, code := runCLI(t, sc.home, "undo", ir.JournalID); code != 0 {
		t.Fatalf("undo install: %d\n%s%s", code, out, stderr)
	}
	if got := readFile(t, cfgTarget); got != orig {
		t.Fatalf("after undo the target holds:\n%s\nwant:\n%s", got, orig)
	}
	if fi, _ := os.Lstat(cfg); fi.Mode()&os.ModeSymlink == 0 {
		t.Fatal("undo replaced the link")
	}
}

// TestClaudeCodeWithLinkedStores pins what the real Claude Code does with
// linked stores, on which mcpmend's choices rest (lockedfile.Links,
// credentials.LinkNote): it writes ~/.claude.json through a symlink (the
// link stays), but reads .credentials.json through a symlink or hard link
// and then replaces that name with a plain file of its own — the linked
// copy keeps the old content. So mcpmend writes the first through and
// refuses the second rather than split it itself.
func TestClaudeCodeWithLinkedStores(t *testing.T) {
	claude := npmBin(t, "claude")
	for _, hard := range []bool{false, true} {
		home := t.TempDir()
		url := "http://127.0.0.1:9/mcp"
		os.MkdirAll(filepath.Join(home, ".claude"), 0o700)
		creds := filepath.Join(home, ".claude", ".credentials.json")
		before := `{"mcpOAuth":{"` + credKey("x", url) + `":{"serverName":"x","accessToken":"CANARY"},"other|1":{"serverName":"o"}}}`
		os.WriteFile(creds, []byte(before), 0o600)
		credsTarget := linkInto(t, home, creds, hard)
		cfg := filepath.Join(home, ".claude.json")
		os.WriteFile(cfg, []byte("{}"), 0o600)
		cfgTarget := linkInto(t, home, cfg, false)
		if err := claudeErr(claude, home, "mcp", "add-json", "-s", "user", "x", `{"type":"http","url":"`+url+`"}`); err != nil {
			t.Fatal(err)
		}
		if err := claudeErr(claude, home, "mcp", "remove", "-s", "user", "x"); err != nil {
			t.Fatal(err)
		}
		if fi, _ := os.Lstat(cfg); fi.Mode()&os.ModeSymlink == 0 || !strings.Contains(readFile(t, cfgTarget), "firstStartTime") {
			t.Errorf("Claude Code no longer writes ~/.claude.json through its symlink (target: %s): the Editor's FollowSymlinks no longer matches it",
				readFile(t, cfgTarget))
		}
		fi, _ := os.Lstat(creds)
		split := fi.Mode()&os.ModeSymlink == 0 && readFile(t, credsTarget) == before && !strings.Contains(readFile(t, creds), "CANARY")
		if hard {
			split = readFile(t, credsTarget) == before && !strings.Contains(readFile(t, creds), "CANARY")
		}
		if !split {
			t.Errorf("hard=%v: Claude Code no longer splits a linked .credentials.json (link %v, target %s, name %s): update credentials.LinkNote and reconsider refusing",
				hard, fi.Mode(), readFile(t, credsTarget), readFile(t, creds))
		}
	}
}
