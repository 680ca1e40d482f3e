package integration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpmend/mcpmend/cache/credentials"
	"github.com/mcpmend/mcpmend/registry"
)

// forgetTokensReset writes a Claude Code home with srv signed in and runs
// `mcpmend reset srv --forget-tokens`; it returns the credentials file, the
// server's key and the reset's id.
func forgetTokensReset(t *testing.T, home string, extra []string) (creds, key, id string) {
	t.Helper()
	cfg := `{"mcpServers":{"srv":{"type":"http","url":"http://127.0.0.1:9/mcp"}}}`
	if err := os.WriteFile(filepath.Join(home, ".claude.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	env := isolatedEnv(home)
	for _, s := range registry.Discover(env).Servers {
		if s.Name == "srv" {
			key = credentials.Key(s)
		}
	}
	creds = credentials.File(env)
	os.MkdirAll(filepath.Dir(creds), 0o700)
	data := `{"claudeAiOauth":{"accessToken":"ACC"},"mcpOAuth":{"` + key + `":{"serverName":"srv","accessToken":"OLD-TOK"},"other|0123456789abcdef":{"accessToken":"OTHER"}}}`
	if err := os.WriteFile(creds, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runCLIWith(t, home, extra, "reset", "srv", "--client", "claude-code", "--forget-tokens", "--json")
	var rs struct{ ID, Outcome string }
	if json.Unmarshal([]byte(out), &rs); code != 0 || rs.Outcome != "applied" {
		t.Fatalf("reset: %d\n%s\n%s", code, out, errOut)
	}
	return creds, key, rs.ID
}

// TestUndoRefusesAStoreKeyHeldTwice: after the reset, .credentials.json
// holds "mcpOAuth" twice and the last — the one Claude Code reads — has a
// newer sign-in of srv. Undo used to put the old token into the first
// mcpOAuth (which Claude Code never reads) and report every record back; it
// must refuse, say why, and leave the file as it is.
func TestUndoRefusesAStoreKeyHeldTwice(t *testing.T) {
	home := t.TempDir()
	creds, key, id := forgetTokensReset(t, home, nil)
	dup := `{"claudeAiOauth":{"accessToken":"ACC"},"mcpOAuth":{"other|0123456789abcdef":{"accessToken":"OTHER"}},"mcpOAuth":{"` + key + `":{"accessToken":"NEWER"}}}`
	if err := os.WriteFile(creds, []byte(dup), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runCLIWith(t, home, nil, "undo", id)
	if got, _ := os.ReadFile(creds); code == 0 || string(got) != dup {
		t.Fatalf("undo: exit %d, file now\n%s\n%s\n%s", code, got, out, errOut)
	}
	if !strings.Contains(out+errOut, "appears more than once") {
		t.Errorf("the refusal does not say why:\n%s\n%s", out, errOut)
	}
}

// TestPruneRacingUndo: an expired reset is undone while another process
// prunes. Either the undo wins (the token is back, exit 0) or the prune
// does (the undo says the reset was pruned, exit non-zero, the file is as
// the reset left it) — never an undo that says done with nothing back.
func TestPruneRacingUndo(t *testing.T) {
	extra := []string{"MCPMEND_FORGET_TOKENS_WINDOW=never"}
	for round := range 10 {
		home := t.TempDir()
		creds, _, id := forgetTokensReset(t, home, extra)
		after, _ := os.ReadFile(creds)
		shiftEntry(t, home, id, 40*24*time.Hour)
		var wg sync.WaitGroup
		var undoOut string
		var undoCode int
		wg.Add(2)
		go func() {
			defer wg.Done()
			o, e, c := runCLIWith(t, home, extra, "undo", id)
			undoOut, undoCode = o+e, c
		}()
		go func() { defer wg.Done(); runCLIWith(t, home, extra, "prune") }()
		wg.Wait()
		got, _ := os.ReadFile(creds)
		back := bytes.Contains(got, []byte("OLD-TOK"))
		switch {
		case undoCode == 0 && back:
		case undoCode != 0 && !back && bytes.Equal(got, after) && strings.Contains(undoOut, "pruned"):
		default:
			t.Fatalf("round %d: undo exit %d, token back %v\n%s\n%s", round, undoCode, back, undoOut, fmt.Sprint(string(got)))
		}
	}
}

// TestDryRunResetRemovesNothing: `reset NAME --dry-run` only lists; it
// must not run the prune pass a real reset runs at its start — it deleted
// the token backups of an earlier reset whose window had passed, so a look
// at what a reset would do cost the user the undo of another.
func TestDryRunResetRemovesNothing(t *testing.T) {
	home := t.TempDir()
	_, _, id := forgetTokensReset(t, home, nil)
	shiftEntry(t, home, id, 8*24*time.Hour) // the forget-tokens window passed
	before := journalText(t, home)
	if !strings.Contains(before, "OLD-TOK") {
		t.Fatal("the reset kept no token backup")
	}
	out, errOut, code := runCLIWith(t, home, nil, "reset", "srv", "--client", "claude-code", "--dry-run")
	if code != 0 {
		t.Fatalf("dry run: %d\n%s\n%s", code, out, errOut)
	}
	if after := journalText(t, home); after != before {
		t.Fatalf("a dry-run reset changed the journal (token backups kept: %v)", strings.Contains(after, "OLD-TOK"))
	}
}
