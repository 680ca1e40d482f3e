package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpmend/mcpmend/cache/journal"
	"github.com/mcpmend/mcpmend/cache/mutation"
	"github.com/mcpmend/mcpmend/cache/needsauth"
	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/internal/jsonedit"
	"github.com/mcpmend/mcpmend/registry"
)

const needsBefore = `{"srv":{"timestamp":1795710000000},"other":{"timestamp":1795710000001}}`

// plannedReset records a reset of srv's needs-auth entry in home's journal
// without applying it: pending work, as a process killed after Begin leaves.
func plannedReset(t *testing.T, home string) (env registry.Env, id string) {
	t.Helper()
	env = registry.OSEnv().WithHome(home) // what --home gives the commands
	file := needsauth.File(env)
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte(needsBefore), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := mutation.PlanJSONDelete(store.NeedsAuth, file, nil, 0, jsonedit.Compact,
		[]mutation.JSONTarget{{Path: jsonedit.Path{"srv"}, Kind: store.KindNeedsAuth}})
	if err != nil {
		t.Fatal(err)
	}
	e, err := journal.Open(env, nil).Begin(journal.ServerRef{Name: "srv"}, []journal.Mutation{m}, journal.BeginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return env, e.ID
}

func stepStatus(t *testing.T, env registry.Env, id string) journal.Status {
	t.Helper()
	e, err := journal.Open(env, nil).Get(id)
	if err != nil {
		t.Fatal(err)
	}
	return e.Steps[0].Status
}

// TestReadOnlyCommandsOnlyReportPendingWork: list and status leave a planned
// reset as it is and say on stderr what finishes it.
func TestReadOnlyCommandsOnlyReportPendingWork(t *testing.T) {
	for _, cmd := range []string{"list", "status"} {
		t.Run(cmd, func(t *testing.T) {
			home := t.TempDir()
			env, id := plannedReset(t, home)
			var out, errb bytes.Buffer
			if code := run(context.Background(), []string{cmd, "--home", home}, strings.NewReader(""), &out, &errb); code != 0 {
				t.Fatalf("exit %d: %s", code, errb.String())
			}
			if st := stepStatus(t, env, id); st != journal.StatusPlanned {
				t.Fatalf("%s replayed the journal: step %s", cmd, st)
			}
			if got, _ := os.ReadFile(needsauth.File(env)); string(got) != needsBefore {
				t.Fatalf("%s changed the store: %s", cmd, got)
			}
			if !strings.Contains(errb.String(), "pending steps") || !strings.Contains(errb.String(), "apply-pending") {
				t.Errorf("%s did not report the pending reset:\n%s", cmd, errb.String())
			}
		})
	}
}

// TestResetAndUndoReplayPendingWork: the commands that change stores finish
// what an earlier run left before they run (even when they then fail).
func TestResetAndUndoReplayPendingWork(t *testing.T) {
	for _, args := range [][]string{{"reset", "no-such-server"}, {"undo", "20990101T000000Z-00000000"}} {
		t.Run(args[0], func(t *testing.T) {
			home := t.TempDir()
			env, id := plannedReset(t, home)
			var out, errb bytes.Buffer
			run(context.Background(), append(args, "--home", home), strings.NewReader(""), &out, &errb)
			if st := stepStatus(t, env, id); st != journal.StatusApplied {
				t.Fatalf("%s did not replay the journal: step %s\n%s", args[0], st, errb.String())
			}
			if got, _ := os.ReadFile(needsauth.File(env)); strings.Contains(string(got), `"srv"`) {
				t.Fatalf("the planned removal did not land: %s", got)
			}
		})
	}
}

// TestServeReplaysAfterHandshake: serve leaves the journal alone until a
// client has finished the MCP handshake, then finishes the pending reset.
func TestServeReplaysAfterHandshake(t *testing.T) {
	home := t.TempDir()
	env, id := plannedReset(t, home)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cr, sw := io.Pipe() // server → client
	sr, cw := io.Pipe() // client → server
	var errb bytes.Buffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"serve", "--home", home}, sr, sw, &errb) }()

	time.Sleep(300 * time.Millisecond)
	if st := stepStatus(t, env, id); st != journal.StatusPlanned {
		t.Fatalf("serve replayed before any handshake: step %s", st)
	}
	client := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil)
	cs, err := client.Connect(ctx, &mcp.IOTransport{Reader: cr, Writer: cw}, nil)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for stepStatus(t, env, id) != journal.StatusApplied {
		if time.Now().After(deadline) {
			t.Fatalf("serve did not replay after the handshake: step %s\n%s", stepStatus(t, env, id), errb.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	cs.Close()
	cancel()
	<-done
}

// expiredReset records and applies a reset of srv's needs-auth entry as if
// it had been made 40 days ago: past the default retention.
func expiredReset(t *testing.T, home string) (env registry.Env, id string) {
	t.Helper()
	env, id = plannedReset(t, home)
	j := journal.Open(env, nil)
	j.Now = func() time.Time { return time.Now().Add(-40 * 24 * time.Hour) }
	// Begin stamped it now; re-plan it at the old time.
	if err := os.RemoveAll(filepath.Join(j.Dir, id)); err != nil {
		t.Fatal(err)
	}
	m, err := mutation.PlanJSONDelete(store.NeedsAuth, needsauth.File(env), nil, 0, jsonedit.Compact,
		[]mutation.JSONTarget{{Path: jsonedit.Path{"srv"}, Kind: store.KindNeedsAuth}})
	if err != nil {
		t.Fatal(err)
	}
	e, err := j.Begin(journal.ServerRef{Name: "srv"}, []journal.Mutation{m}, journal.BeginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if e, err = j.Apply(context.Background(), e.ID); err != nil || e.Steps[0].Status != journal.StatusApplied {
		t.Fatalf("apply: %v", err)
	}
	return env, e.ID
}

func entryExists(env registry.Env, id string) bool {
	_, err := journal.Open(env, nil).Get(id)
	return err == nil
}

// TestOnlyWriteCommandsPrune: an expired reset survives every read-only
// command and serve before a handshake; reset, undo of another reset and
// apply-pending remove it at their start; undo of that very reset undoes it
// instead of pruning it first.
func TestOnlyWriteCommandsPrune(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		prune bool
	}{
		{[]string{"list"}, false},
		{[]string{"status"}, false},
		{[]string{"state", "srv"}, false},
		{[]string{"checkup", "--no-probe"}, false},
		{[]string{"prune", "--dry-run"}, false},
		{[]string{"reset", "no-such-server"}, true},
		{[]string{"undo", "20990101T000000Z-00000000"}, true},
		{[]string{"apply-pending", "--once"}, true},
		{[]string{"prune"}, true},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			home := t.TempDir()
			env, id := expiredReset(t, home)
			var out, errb bytes.Buffer
			run(context.Background(), append(tc.args, "--home", home), strings.NewReader(""), &out, &errb)
			if got := !entryExists(env, id); got != tc.prune {
				t.Fatalf("pruned = %v, want %v\n%s\n%s", got, tc.prune, out.String(), errb.String())
			}
		})
	}
	t.Run("undo of the expired reset", func(t *testing.T) {
		home := t.TempDir()
		env, id := expiredReset(t, home)
		var out, errb bytes.Buffer
		if code := run(context.Background(), []string{"undo", id, "--home", home}, strings.NewReader(""), &out, &errb); code != 0 {
			t.Fatalf("undo: %d\n%s\n%s", code, out.String(), errb.String())
		}
		if got, _ := os.ReadFile(needsauth.File(env)); string(got) != needsBefore {
			t.Fatalf("undo did not put the record back: %s", got)
		}
		if !entryExists(env, id) {
			t.Fatal("the reset being undone was pruned")
		}
	})
}

// TestServePrunesOnlyAfterHandshake: serve removes nothing before a client
// has finished the MCP handshake, then prunes the expired reset.
func TestServePrunesOnlyAfterHandshake(t *testing.T) {
	home := t.TempDir()
	env, id := expiredReset(t, home)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cr, sw := io.Pipe()
	sr, cw := io.Pipe()
	var errb bytes.Buffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"serve", "--home", home}, sr, sw, &errb) }()

	time.Sleep(300 * time.Millisecond)
	if !entryExists(env, id) {
		t.Fatal("serve pruned before any handshake")
	}
	client := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil)
	cs, err := client.Connect(ctx, &mcp.IOTransport{Reader: cr, Writer: cw}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(15 * time.Second); entryExists(env, id); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("serve did not prune after the handshake\n%s", errb.String())
		}
	}
	cs.Close()
	cancel()
	<-done
}
