package cache

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mcpmend/mcpmend/cache/credentials"
	"github.com/mcpmend/mcpmend/cache/internal/storetest"
	"github.com/mcpmend/mcpmend/cache/journal"
	"github.com/mcpmend/mcpmend/cache/mutation"
	"github.com/mcpmend/mcpmend/cache/needsauth"
	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/internal/jsonedit"
	"github.com/mcpmend/mcpmend/internal/testfs"
)

// TestCancelMidwayRollsBackAndNothingResumes: the needs-auth step is
// applied, then the reset is cancelled while the credentials step waits for
// Claude Code's lock. The applied step is put back, the waiting one ends
// "cancelled", the entry is not pending, and a later replay changes nothing.
func TestCancelMidwayRollsBackAndNothingResumes(t *testing.T) {
	home := t.TempDir()
	env := storetest.Env(home)
	needs, creds := needsauth.File(env), credentials.File(env)
	needsData := `{"srv":{"timestamp":1795710000000},"other":` + otherNeeds + `}`
	credsData := credsWith(tokenlessAB, "")
	testfs.WriteFile(t, needs, needsData)
	testfs.WriteFile(t, creds, credsData)
	m1, err := mutation.PlanJSONDelete(store.NeedsAuth, needs, nil, 0, jsonedit.Compact, []mutation.JSONTarget{{Path: jsonedit.Path{"srv"}}})
	if err != nil {
		t.Fatal(err)
	}
	lock := credentials.Lock(env)
	lock.Wait = time.Minute
	m2, err := mutation.PlanJSONDelete(store.Credentials, creds, &lock, 0o600, jsonedit.Compact, []mutation.JSONTarget{{Path: jsonedit.Path{"mcpOAuth", srvKey}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(lock.Path, 0o700); err != nil { // Claude Code is writing
		t.Fatal(err)
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	go func() { // the holder keeps the lock fresh
		for range tick.C {
			now := time.Now()
			os.Chtimes(lock.Path, now, now)
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(500*time.Millisecond, cancel)
	j := journal.Open(env, nil)
	start := time.Now()
	e, err := RunReset(ctx, j, journal.ServerRef{Name: "srv", Client: "claude-code"}, []journal.Mutation{m1, m2})
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("the cancelled reset took %s: it waited for the lock", time.Since(start))
	}
	if got := []journal.Status{e.Steps[0].Status, e.Steps[1].Status}; got[0] != journal.StatusUndone || got[1] != journal.StatusCancelled {
		t.Fatalf("statuses %v, want [undone cancelled]; %+v", got, e.Steps)
	}
	if !journal.Cancelled(e) || e.Pending() {
		t.Errorf("cancelled %v pending %v", journal.Cancelled(e), e.Pending())
	}
	os.Remove(lock.Path)
	if _, err := journal.ResumePending(context.Background(), env, nil); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(needs); string(b) != needsData {
		t.Errorf("needs-auth cache: %s", b)
	}
	if b, _ := os.ReadFile(creds); string(b) != credsData {
		t.Errorf("credentials: %s", b)
	}
	if _, err := os.Stat(filepath.Dir(lock.Path)); err != nil {
		t.Fatal(err)
	}
}

// TestCancelBeforeStartRecordsNothing: a reset whose context is already
// cancelled records nothing and changes nothing.
func TestCancelBeforeStartRecordsNothing(t *testing.T) {
	home := t.TempDir()
	env := storetest.Env(home)
	needs := needsauth.File(env)
	testfs.WriteFile(t, needs, `{"srv":{"timestamp":1}}`)
	m, err := mutation.PlanJSONDelete(store.NeedsAuth, needs, nil, 0, jsonedit.Compact, []mutation.JSONTarget{{Path: jsonedit.Path{"srv"}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := RunReset(ctx, journal.Open(env, nil), journal.ServerRef{Name: "srv"}, []journal.Mutation{m}); err == nil {
		t.Fatal("a cancelled reset ran")
	}
	if es, _ := journal.Open(env, nil).List(); len(es) != 0 {
		t.Errorf("entries recorded: %d", len(es))
	}
}
