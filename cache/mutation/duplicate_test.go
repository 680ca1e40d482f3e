package mutation

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/internal/jsonedit"
)

// TestDuplicateKeysAreRefused: a document holding a key on a target's path
// twice is read by Claude Code (JSON.parse) with the LAST one winning, while
// the path lookups find the first. An undo then put the removed token into
// the first "mcpOAuth" — invisible to Claude Code, which keeps the newer
// token of the last one — and said every record was back; a reset removed
// the copy Claude Code never reads and said it was applied. Both must refuse,
// naming the file and the key, and change nothing.
func TestDuplicateKeysAreRefused(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), ".credentials.json")
	orig := `{"claudeAiOauth":{"accessToken":"ACC"},"mcpOAuth":{"srv|1":{"accessToken":"OLD"},"other|2":{"accessToken":"OTHER"}}}`
	if err := os.WriteFile(file, []byte(orig), 0o600); err != nil {
		t.Fatal(err)
	}
	targets := []JSONTarget{{Path: jsonedit.Path{"mcpOAuth", "srv|1"}}}
	m, err := PlanJSONDelete("claude-code/credentials", file, nil, 0o600, jsonedit.Compact, targets)
	if err != nil || len(m.Targets) != 1 {
		t.Fatalf("plan: %v %+v", err, m)
	}
	dir := t.TempDir()
	if err := m.Backup(ctx, dir); err != nil {
		t.Fatal(err)
	}
	if err := m.Apply(ctx, dir); err != nil {
		t.Fatal(err)
	}

	// The owner (or a hand edit) leaves mcpOAuth twice; the last one, the
	// one Claude Code reads, holds a newer sign-in.
	dup := `{"claudeAiOauth":{"accessToken":"ACC"},"mcpOAuth":{"other|2":{"accessToken":"OTHER"}},"mcpOAuth":{"srv|1":{"accessToken":"NEWER"}}}`
	os.WriteFile(file, []byte(dup), 0o600)
	err = m.Restore(ctx, dir)
	var de *store.DamagedError
	if !errors.As(err, &de) || de.File != file {
		t.Fatalf("undo into a document with mcpOAuth twice: %v", err)
	}
	if got, _ := os.ReadFile(file); string(got) != dup {
		t.Fatalf("undo changed the file:\n%s", got)
	}

	// Planning and applying over such a document refuse too.
	twice := `{"mcpOAuth":{"srv|1":{"accessToken":"OLD"}},"mcpOAuth":{"srv|1":{"accessToken":"NEWER"}}}`
	os.WriteFile(file, []byte(twice), 0o600)
	if _, err := PlanJSONDelete("claude-code/credentials", file, nil, 0o600, jsonedit.Compact, targets); !errors.As(err, &de) {
		t.Fatalf("plan over mcpOAuth twice: %v", err)
	}
	if err := m.Apply(ctx, t.TempDir()); !errors.As(err, &de) {
		t.Fatalf("apply over mcpOAuth twice: %v", err)
	}
	if got, _ := os.ReadFile(file); string(got) != twice {
		t.Fatalf("apply changed the file:\n%s", got)
	}
}
