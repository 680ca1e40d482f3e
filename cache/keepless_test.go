package cache

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mcpmend/mcpmend/cache/credentials"
	"github.com/mcpmend/mcpmend/cache/internal/storetest"
	"github.com/mcpmend/mcpmend/cache/journal"
	"github.com/mcpmend/mcpmend/cache/mutation"
	"github.com/mcpmend/mcpmend/cache/needsauth"
	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/internal/jsonedit"
	"github.com/mcpmend/mcpmend/internal/lockedfile"
	"github.com/mcpmend/mcpmend/internal/testfs"
	"github.com/mcpmend/mcpmend/registry"
)

// journalFiles returns every file under the entry's directory with its
// content.
func journalFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			b, _ := os.ReadFile(p)
			out[p] = string(b)
		}
		return nil
	})
	return out
}

// TestBackupHoldsOnlyTheRemovedRecords: a reset's backup holds the records
// it removes and hashes — never the Claude account's own token, nor any
// other server's record — and undo still puts the files back byte for byte.
func TestBackupHoldsOnlyTheRemovedRecords(t *testing.T) {
	home := t.TempDir()
	creds, needs := writeStandard(t, home)
	e := resetNow(t, home)
	files := journalFiles(t, e.Dir())
	var records, applied int
	for p, data := range files {
		for _, never := range []string{"CANARY-account", "claudeAiOauth", "CANARY-other", "CANARY-r", "other|0123456789abcdef", `"other"`} {
			if strings.Contains(data, never) {
				t.Errorf("%s holds %s:\n%s", p, never, data)
			}
		}
		switch filepath.Base(p) {
		case "records.json":
			records++
			if !strings.Contains(data, "srv") {
				t.Errorf("%s lacks the removed record: %s", p, data)
			}
		case "applied.json":
			applied++
			if !strings.Contains(data, `"pre_sha256"`) || !strings.Contains(data, `"post_sha256"`) {
				t.Errorf("%s lacks the hashes: %s", p, data)
			}
		case "original", "pre-image":
			t.Errorf("a whole copy of the store was kept: %s", p)
		}
	}
	if records != 2 || applied != 2 {
		t.Fatalf("%d records.json and %d applied.json, want 2 each: %v", records, applied, files)
	}
	if _, err := journal.Open(storetest.Env(home), nil).Undo(context.Background(), e.ID); err != nil {
		t.Fatal(err)
	}
	if readString(t, creds) != stdCreds || readString(t, needs) != stdNeeds {
		t.Fatalf("undo is not byte for byte:\n%s\n%s", readString(t, creds), readString(t, needs))
	}
}

// TestRebuiltPreImageMustHashAsRecorded: when the removed runs no longer
// rebuild the recorded pre-image (a tampered or stale applied.json), undo
// does not write what they give but puts the records back one by one.
func TestRebuiltPreImageMustHashAsRecorded(t *testing.T) {
	home := t.TempDir()
	creds, _ := writeStandard(t, home)
	e := resetNow(t, home)
	p := filepath.Join(e.Dir(), e.Steps[0].Backup, "applied.json")
	b := readString(t, p)
	// Move the first splice: the rebuilt bytes would be a different document.
	tampered := strings.Replace(b, `"at":`, `"at":1`, 1)
	if tampered == b {
		t.Fatalf("no splice in %s", b)
	}
	os.WriteFile(p, []byte(tampered), 0o600)
	if _, err := journal.Open(storetest.Env(home), nil).Undo(context.Background(), e.ID); err != nil {
		t.Fatal(err)
	}
	got := []byte(readString(t, creds))
	for _, path := range []jsonedit.Path{{"mcpOAuth", "srv|78d8e2894fc42213"}, {"mcpOAuthClientConfig", "srv|78d8e2894fc42213"}, {"claudeAiOauth"}, {"mcpOAuth", "other|0123456789abcdef"}} {
		want, _, _ := jsonedit.Get([]byte(stdCreds), path)
		have, ok, _ := jsonedit.Get(got, path)
		if !ok || string(have) != string(want) {
			t.Errorf("%s after undo = %s, want %s", path, have, want)
		}
	}
}

// legacyBackup turns a step's backup into what mcpmend wrote before backups
// were cut down: the whole document (original), the exact bytes Apply
// replaced (pre-image) and the hash of what it wrote (post.sha256).
func legacyBackup(t *testing.T, dir, pre, post string) {
	t.Helper()
	if err := os.Remove(filepath.Join(dir, "applied.json")); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{"original": pre, "pre-image": pre, "post.sha256": hashString(post)} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// TestUndoOfALegacyBackup: an entry whose backups hold whole copies (the
// format before) still undoes — byte for byte when the files are as the
// reset left them, record by record (keeping a newer record) when not.
func TestUndoOfALegacyBackup(t *testing.T) {
	t.Run("untouched", func(t *testing.T) {
		home := t.TempDir()
		creds, needs := writeStandard(t, home)
		e := resetNow(t, home)
		legacyBackup(t, filepath.Join(e.Dir(), e.Steps[0].Backup), stdCreds, newCreds)
		legacyBackup(t, filepath.Join(e.Dir(), e.Steps[1].Backup), stdNeeds, newNeeds)
		if _, err := journal.Open(storetest.Env(home), nil).Undo(context.Background(), e.ID); err != nil {
			t.Fatal(err)
		}
		if readString(t, creds) != stdCreds || readString(t, needs) != stdNeeds {
			t.Fatalf("legacy undo is not byte for byte:\n%s\n%s", readString(t, creds), readString(t, needs))
		}
	})
	t.Run("written since", func(t *testing.T) {
		home := t.TempDir()
		creds, _ := writeStandard(t, home)
		e := resetNow(t, home)
		legacyBackup(t, filepath.Join(e.Dir(), e.Steps[0].Backup), stdCreds, newCreds)
		later, _ := jsonedit.SetRaw([]byte(readString(t, creds)), jsonedit.Path{"mcpOAuth", "third|1111111111111111"}, []byte(`{"serverName":"third"}`))
		os.WriteFile(creds, later, 0o600)
		if _, err := journal.Open(storetest.Env(home), nil).Undo(context.Background(), e.ID); err != nil {
			t.Fatal(err)
		}
		got := []byte(readString(t, creds))
		if _, ok, _ := jsonedit.Get(got, jsonedit.Path{"mcpOAuth", "third|1111111111111111"}); !ok {
			t.Error("undo dropped a record written after the reset")
		}
		if have, ok, _ := jsonedit.Get(got, jsonedit.Path{"mcpOAuth", "srv|78d8e2894fc42213"}); !ok || !strings.Contains(string(have), "tokenlessRejectedAt") {
			t.Errorf("the removed record is not back: %s", got)
		}
	})
}

func hashString(s string) string { return mutation.HashBytes([]byte(s)) }

func mapValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// needsauthDelete plans removing name's needs-auth entry.
func needsauthDelete(env registry.Env, name string) (journal.Mutation, error) {
	return mutation.PlanJSONDelete(store.NeedsAuth, needsauth.File(env), nil, 0, jsonedit.Compact,
		[]mutation.JSONTarget{{Path: jsonedit.Path{name}, Kind: store.KindNeedsAuth}})
}

// deadPID is the pid of a process that has exited.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

// forgetScene resets srv, which holds tokens, with forget_tokens at
// clock's time and returns the entry.
func forgetScene(t *testing.T, home string, at time.Time) (registry.Env, *journal.Entry) {
	t.Helper()
	env := storetest.Env(home)
	testfs.WriteFile(t, credentials.File(env), credsWith(withTokens, clientCfg))
	testfs.WriteFile(t, needsauth.File(env), `{"srv":{"timestamp":1795710000000},"other":`+otherNeeds+`}`)
	srv := storetest.ClaudeServer(t, "srv", srvEntry)
	req := store.ResetRequest{Server: srv, Configured: []registry.Server{srv}, ForgetTokens: true, LockWait: 500 * time.Millisecond}
	muts, err := PlanReset(context.Background(), env, req, DefaultResetPlanners(req.Configured, nil))
	if err != nil {
		t.Fatal(err)
	}
	j := journal.Open(env, nil)
	j.Now = func() time.Time { return at }
	e, err := RunReset(context.Background(), j, journal.ServerRef{Name: "srv", Client: registry.ClaudeCode}, muts, journal.BeginOptions{ForgetTokens: true})
	if err != nil || Failed(e) {
		t.Fatalf("forget reset: %v %s", err, statuses(e))
	}
	return env, e
}

// TestForgetTokensBackupGoesAfterTheWindow: the backup of a forget_tokens
// reset holds srv's own tokens (so it can be undone) but not the account's
// or another server's; once the window passes a prune deletes it, the entry
// stays and says so, and undo refuses without touching anything.
func TestForgetTokensBackupGoesAfterTheWindow(t *testing.T) {
	home := t.TempDir()
	t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	env, e := forgetScene(t, home, t0)
	all := strings.Join(mapValues(journalFiles(t, e.Dir())), "\n")
	if !strings.Contains(all, "CANARY-tok") {
		t.Fatal("the forgotten tokens are not in the backup: the reset could not be undone")
	}
	for _, never := range []string{"CANARY-account", "CANARY-other"} {
		if strings.Contains(all, never) {
			t.Errorf("the backup holds %s", never)
		}
	}
	r := journal.Retention{Entries: journal.DefaultRetention, Tokens: journal.DefaultTokenWindow}
	if got := e.TokensExpire(r); !got.Equal(t0.Add(7 * 24 * time.Hour)) {
		t.Errorf("token backups expire %v", got)
	}
	j := journal.Open(env, nil)

	j.Now = func() time.Time { return t0.Add(6 * 24 * time.Hour) } // inside the window
	rep, err := j.Prune(r, journal.PruneOptions{})
	if err != nil || len(rep.TokensDropped) != 0 || len(rep.Removed) != 0 {
		t.Fatalf("prune inside the window: %+v %v", rep, err)
	}
	j.Now = func() time.Time { return t0.Add(7*24*time.Hour + time.Second) }
	rep, err = j.Prune(r, journal.PruneOptions{})
	if err != nil || len(rep.TokensDropped) != 1 || len(rep.Removed) != 0 {
		t.Fatalf("prune after the window: %+v %v", rep, err)
	}
	after := strings.Join(mapValues(journalFiles(t, e.Dir())), "\n")
	if strings.Contains(after, "CANARY") {
		t.Fatalf("a token is still in the journal after the window:\n%s", after)
	}
	got, err := j.Get(e.ID)
	if err != nil || got.BackupsDropped == nil {
		t.Fatalf("the entry does not record its dropped backups: %+v %v", got, err)
	}
	credsAfter := readString(t, credentials.File(env))
	_, err = j.Undo(context.Background(), e.ID)
	var de *journal.BackupsDroppedError
	if !errors.As(err, &de) {
		t.Fatalf("undo after the window: %v", err)
	}
	if readString(t, credentials.File(env)) != credsAfter {
		t.Fatal("a refused undo changed the credentials")
	}
}

// TestPruneRemovesOnlyExpiredEntries: with the clock 31 days on, prune
// removes the entry whose last change is that old; it keeps a recent one,
// an expired one still pending, an expired one another process holds, and
// a damaged one; a dry run removes nothing.
func TestPruneRemovesOnlyExpiredEntries(t *testing.T) {
	home := t.TempDir()
	env := storetest.Env(home)
	t0 := time.Date(2026, 10, 1, 10, 0, 0, 0, time.UTC)
	at := t0
	j := journal.Open(env, nil)
	j.Now = func() time.Time { return at }
	begin := func(name string, apply bool) *journal.Entry {
		t.Helper()
		testfs.WriteFile(t, needsauth.File(env), `{"`+name+`":{"timestamp":1795710000000}}`)
		m, err := needsauthDelete(env, name)
		if err != nil {
			t.Fatal(err)
		}
		e, err := j.Begin(journal.ServerRef{Name: name}, []journal.Mutation{m}, journal.BeginOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if apply {
			if e, err = j.Apply(context.Background(), e.ID); err != nil || statuses(e) != "applied" {
				t.Fatalf("apply %s: %v %s", name, err, statuses(e))
			}
		}
		return e
	}
	old := begin("old", true)
	held := begin("held", true)
	pending := begin("pending", false) // never applied: stays planned
	at = t0.Add(20 * 24 * time.Hour)
	recent := begin("recent", true)
	damaged := filepath.Join(j.Dir, "20261001T000000Z-999999")
	os.MkdirAll(damaged, 0o700)
	os.WriteFile(filepath.Join(damaged, "entry.json"), []byte(`{"id":`), 0o600)

	h, err := lockedfile.KernelLock{Path: filepath.Join(held.Dir(), "entry.lock")}.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer h.Release()

	r := journal.Retention{Entries: 30 * 24 * time.Hour, Tokens: journal.DefaultTokenWindow}
	at = t0.Add(31 * 24 * time.Hour)
	rep, err := j.Prune(r, journal.PruneOptions{DryRun: true})
	if err != nil || len(rep.Removed) != 2 {
		t.Fatalf("dry run: %+v %v", rep, err)
	}
	for _, e := range []*journal.Entry{old, held, pending, recent} {
		if _, err := os.Stat(e.Dir()); err != nil {
			t.Fatalf("a dry run removed %s", e.ID)
		}
	}
	rep, err = j.Prune(r, journal.PruneOptions{})
	if err != nil || len(rep.Removed) != 1 || rep.Removed[0].ID != old.ID {
		t.Fatalf("prune: %+v %v", rep, err)
	}
	if _, err := os.Stat(old.Dir()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the expired entry is still there: %v", err)
	}
	for _, keep := range []string{held.Dir(), pending.Dir(), recent.Dir(), damaged} {
		if _, err := os.Stat(keep); err != nil {
			t.Errorf("%s was removed: %v", keep, err)
		}
	}
	kept := map[string]string{}
	for _, k := range rep.Kept {
		kept[k.ID] = k.Reason
	}
	if !strings.Contains(kept[held.ID], "another process") || !strings.Contains(kept[pending.ID], "pending") {
		t.Errorf("kept reasons: %v", kept)
	}
	if len(rep.Damaged) != 1 {
		t.Errorf("damaged entries: %+v", rep.Damaged)
	}
	es, _, _ := j.ListAll()
	if len(es) != 3 {
		t.Errorf("%d entries left, want 3", len(es))
	}
	// Spared: the entry `undo ID` is about to undo is never pruned under it.
	h.Release()
	rep, err = j.Prune(r, journal.PruneOptions{Spare: []string{held.ID}})
	if err != nil || len(rep.Removed) != 0 {
		t.Fatalf("prune sparing %s: %+v %v", held.ID, rep, err)
	}
}

// TestPruneKeepsWhatUndoOrderNeeds: a newer expired reset that changed the
// same record as an older one still kept (it changed later) stays: undoing
// the older must still see it.
func TestPruneKeepsWhatUndoOrderNeeds(t *testing.T) {
	home := t.TempDir()
	env := storetest.Env(home)
	t0 := time.Date(2026, 10, 1, 10, 0, 0, 0, time.UTC)
	at := t0
	j := journal.Open(env, nil)
	j.Now = func() time.Time { return at }
	run := func() *journal.Entry {
		testfs.WriteFile(t, needsauth.File(env), `{"srv":{"timestamp":1795710000000}}`)
		m, err := needsauthDelete(env, "srv")
		if err != nil {
			t.Fatal(err)
		}
		e, err := j.Begin(journal.ServerRef{Name: "srv"}, []journal.Mutation{m}, journal.BeginOptions{})
		if err != nil {
			t.Fatal(err)
		}
		e, err = j.Apply(context.Background(), e.ID)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	older := run()
	at = t0.Add(time.Hour)
	newer := run()
	// The older entry changed late (its step re-checked 25 days on).
	rewriteStepTimes(t, j, older, t0.Add(25*24*time.Hour))
	at = t0.Add(31 * 24 * time.Hour)
	rep, err := j.Prune(journal.Retention{Entries: 30 * 24 * time.Hour}, journal.PruneOptions{})
	if err != nil || len(rep.Removed) != 0 || len(rep.Kept) != 1 || rep.Kept[0].ID != newer.ID || !strings.Contains(rep.Kept[0].Reason, "undo order") {
		t.Fatalf("prune: %+v %v", rep, err)
	}
}

// rewriteStepTimes sets every step's last change in e's entry.json.
func rewriteStepTimes(t *testing.T, j *journal.Journal, e *journal.Entry, at time.Time) {
	t.Helper()
	p := filepath.Join(e.Dir(), "entry.json")
	b := readString(t, p)
	for _, s := range e.Steps {
		b = strings.ReplaceAll(b, `"updated": "`+s.Updated.Format(time.RFC3339Nano)+`"`, `"updated": "`+at.Format(time.RFC3339Nano)+`"`)
	}
	os.WriteFile(p, []byte(b), 0o600)
	got, err := j.Get(e.ID)
	if err == nil && got.Steps[0].Updated.Equal(at) {
		return
	}
	t.Fatalf("step times not rewritten in %s:\n%s", p, b)
}

// TestRemoveStaleTempsAtStart: the temp file a killed mcpmend left beside
// .credentials.json goes; one of a live process stays.
func TestRemoveStaleTempsAtStart(t *testing.T) {
	home := t.TempDir()
	env := storetest.Env(home)
	creds, _ := writeStandard(t, home)
	dead := deadPID(t)
	mk := func(pid int) string {
		p := creds + ".tmp." + strconv.Itoa(pid) + ".0123456789ab"
		os.WriteFile(p, []byte(stdCreds), 0o600)
		past := time.Now().Add(-time.Hour)
		os.Chtimes(p, past, past)
		return p
	}
	stale, live := mk(dead), mk(os.Getpid())
	removed := RemoveStaleTemps(env)
	if !slices.Contains(removed, stale) {
		t.Fatalf("removed %v, want %s", removed, stale)
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("a live process's temp file was removed: %v", err)
	}
}
