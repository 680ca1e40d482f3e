package cache

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcpmend/mcpmend/cache/internal/storetest"
	"github.com/mcpmend/mcpmend/cache/journal"
	"github.com/mcpmend/mcpmend/cache/mutation"
	"github.com/mcpmend/mcpmend/cache/needsauth"
	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/internal/jsonedit"
	"github.com/mcpmend/mcpmend/internal/testfs"
)

// TestUndoNewerFirst: two resets remove the same needs-auth key (Claude
// Code wrote it again in between). Undoing the older first is refused and
// changes nothing; undoing the newer, then the older, works as far as the
// records allow. Ids within one second are ordered.
func TestUndoNewerFirst(t *testing.T) {
	home := t.TempDir()
	env := storetest.Env(home)
	needs := needsauth.File(env)
	j := journal.Open(env, nil)
	fixed := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	j.Now = func() time.Time { return fixed } // both resets in the same second
	reset := func(data string) *journal.Entry {
		t.Helper()
		testfs.WriteFile(t, needs, data)
		m, err := mutation.PlanJSONDelete(store.NeedsAuth, needs, nil, 0, jsonedit.Compact, []mutation.JSONTarget{{Path: jsonedit.Path{"srv"}}})
		if err != nil {
			t.Fatal(err)
		}
		e, err := RunReset(context.Background(), j, journal.ServerRef{Name: "srv", Client: "claude-code"}, []journal.Mutation{m})
		if err != nil || e.Steps[0].Status != journal.StatusApplied {
			t.Fatalf("reset: %v %+v", err, e)
		}
		return e
	}
	older := reset(`{"srv":{"timestamp":1},"other":{"timestamp":5}}`)
	newer := reset(`{"srv":{"timestamp":2},"other":{"timestamp":5}}`)
	if !(older.ID < newer.ID) || !strings.HasPrefix(newer.ID, "20261206T120000Z-") {
		t.Fatalf("ids not ordered within a second: %s, %s", older.ID, newer.ID)
	}
	before, _ := os.ReadFile(needs)
	_, err := j.Undo(context.Background(), older.ID)
	var oe *journal.OrderError
	if !errors.As(err, &oe) || oe.Later != newer.ID || !strings.Contains(err.Error(), "NEWER") {
		t.Fatalf("undo of the older reset: %v", err)
	}
	if after, _ := os.ReadFile(needs); string(after) != string(before) {
		t.Fatalf("a refused undo changed the file: %s", after)
	}
	if e, _ := j.Get(older.ID); e.Steps[0].Status != journal.StatusApplied {
		t.Fatalf("refused undo changed the entry: %+v", e.Steps[0])
	}
	if _, err := j.Undo(context.Background(), newer.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(needs); !strings.Contains(string(got), `"srv":{"timestamp":2}`) {
		t.Fatalf("after undoing the newer reset: %s", got)
	}
	// The older reset's value was overwritten by the client since: its undo
	// is now allowed by order but refuses by content, changing nothing.
	_, err = j.Undo(context.Background(), older.ID)
	var ce *journal.ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("undo of the older reset after the newer: %v", err)
	}
}

// TestUndoRetriesAFailedStepWithABackup: a step recorded "failed" although
// its write landed (a `security` call that timed out after writing) is not
// skipped by undo: its backup is put back.
func TestUndoRetriesAFailedStepWithABackup(t *testing.T) {
	home := t.TempDir()
	env := storetest.Env(home)
	needs := needsauth.File(env)
	orig := `{"srv":{"timestamp":1},"other":{"timestamp":5}}`
	testfs.WriteFile(t, needs, orig)
	m, err := mutation.PlanJSONDelete(store.NeedsAuth, needs, nil, 0, jsonedit.Compact, []mutation.JSONTarget{{Path: jsonedit.Path{"srv"}}})
	if err != nil {
		t.Fatal(err)
	}
	j := journal.Open(env, nil)
	e, err := RunReset(context.Background(), j, journal.ServerRef{Name: "srv", Client: "claude-code"}, []journal.Mutation{m})
	if err != nil {
		t.Fatal(err)
	}
	entry := filepath.Join(e.Dir(), "entry.json")
	b, _ := os.ReadFile(entry)
	os.WriteFile(entry, []byte(strings.Replace(string(b), `"status": "applied"`, `"status": "failed"`, 1)), 0o600)
	e, err = j.Undo(context.Background(), e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(needs); string(got) != orig {
		t.Errorf("after undo: %s", got)
	}
	if !strings.Contains(e.Steps[0].Reason, "undo checked its backup") {
		t.Errorf("reason %q", e.Steps[0].Reason)
	}
}
