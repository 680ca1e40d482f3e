package cache

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"

	"github.com/mcpmend/mcpmend/internal/lockedfile"
	"github.com/mcpmend/mcpmend/registry"
)

// KindLocalStorageDelete is the journal kind of LocalStorageDelete.
const KindLocalStorageDelete = "localstorage-delete"

func init() {
	RegisterMutation(KindLocalStorageDelete, func(spec json.RawMessage) (Mutation, error) {
		var m LocalStorageDelete
		if err := json.Unmarshal(spec, &m); err != nil {
			return nil, err
		}
		if m.Dir == "" || len(m.Targets) == 0 {
			return nil, errors.New("no directory or no items")
		}
		return &m, nil
	})
}

// LSTarget is one Local Storage item a LocalStorageDelete removes.
type LSTarget struct {
	Row    []byte `json:"row"`    // the row key as stored: "_" + storage key + NUL + encoded item key
	Origin string `json:"origin"` // storage key
	Key    string `json:"key"`    // the item key, redacted, for messages
	Hash   string `json:"sha256"` // of the row's value when the reset was planned
	Detail string `json:"detail,omitempty"`
}

// LocalStorageDelete removes one server's items from a Claude Desktop Local
// Storage database, following electron-leveldb.md's "Editing" steps: it
// refuses while Claude Desktop holds the database (the journal then waits
// and apply-pending applies it when the app quits), backs up the whole
// directory, holds Chromium's lock for the whole edit, validates strictly
// before and after, deletes in one synced batch (with an origin's META: and
// METAACCESS: rows when its last item goes, as localStorage.clear does),
// compacts so the deleted values do not linger, and restores the backup on
// any failure. Items that only mention the server are never planned.
//
// Undo puts the removed rows back byte for byte (record level: whatever the
// app wrote since is kept) and refuses with a *ConflictError, changing
// nothing, when an item was written again with other content.
type LocalStorageDelete struct {
	Dir     string     `json:"dir"`
	Targets []LSTarget `json:"targets"`
}

// PlanReset implements ResetPlanner for Claude Desktop's Local Storage: one
// LocalStorageDelete per database holding items whose key names the server.
// It applies to claude-desktop servers — configured or not: Desktop's remote
// connectors live only in its own storage, so a caller may pass a Server with
// just Name and Client set — and to Claude Code servers, whose name Desktop's
// Code chat remembers too (DesktopRemembers). A damaged database refuses the
// whole reset.
func (s DesktopLocalStorage) PlanReset(ctx context.Context, env registry.Env, req ResetRequest) ([]Mutation, error) {
	if !DesktopRemembers(req.Server) {
		return nil, nil
	}
	if s.Others == nil {
		s.Others = serverNames(req.Configured)
	}
	scans, err := s.ScanName(ctx, env, req.Server.Name)
	if err != nil {
		return nil, err
	}
	var muts []Mutation
	for _, sc := range scans {
		m := planLocalStorage(sc)
		if len(m.Targets) == 0 {
			continue
		}
		if _, _, err := ProbeLock(sc.Dir); errors.Is(err, ErrLockUnsupported) {
			return nil, fmt.Errorf("%s holds %d item(s) for %s, but editing Claude Desktop's Local Storage is not supported on %s yet "+
				"(Chromium's lock there is unverified): %w", sc.Dir, len(m.Targets), req.Server.Name, runtime.GOOS, err)
		}
		muts = append(muts, m)
	}
	return muts, nil
}

// planLocalStorage turns a scan's resettable matches into targets, hashing
// each value as it was read.
func planLocalStorage(sc *LocalStorageScan) *LocalStorageDelete {
	m := &LocalStorageDelete{Dir: sc.Dir}
	bare := *sc
	bare.Lock = LockState{} // who held the lock at planning time is no part of the change
	for _, mt := range sc.Matches {
		if !mt.Resettable() {
			continue
		}
		rec := matchRecord(&bare, mt)
		sum := sha256.Sum256(mt.RowValue)
		m.Targets = append(m.Targets, LSTarget{Row: bytes.Clone(mt.RowKey), Origin: mt.Item.Origin,
			Key: registry.RedactText(mt.Item.Key), Hash: rowHash(sum), Detail: rec.Detail})
	}
	return m
}

func serverNames(servers []registry.Server) []string {
	out := make([]string, 0, len(servers))
	for _, s := range servers {
		out = append(out, s.Name)
	}
	return out
}

// Store implements Mutation.
func (m *LocalStorageDelete) Store() string { return DesktopStoreName }

// Kind implements Mutation.
func (m *LocalStorageDelete) Kind() string { return KindLocalStorageDelete }

// Spec implements Mutation: the directory, row keys and value hashes —
// never a value.
func (m *LocalStorageDelete) Spec() (json.RawMessage, error) { return json.Marshal(m) }

// Describe implements Mutation.
func (m *LocalStorageDelete) Describe() []Change {
	out := make([]Change, 0, len(m.Targets))
	for _, t := range m.Targets {
		out = append(out, Change{Store: DesktopStoreName, File: m.Dir, Key: t.Origin + " " + t.Key, Kind: KindLocalStorageItem,
			Action: "delete", Detail: t.Detail})
	}
	return out
}

// quitAdvice is what the user must do to free the database before an edit;
// then says what happens after.
func quitAdvice(pid int, then string) string {
	who := "Claude Desktop is running"
	if pid > 0 {
		who += " (pid " + strconv.Itoa(pid) + ")"
	}
	how := "quit it completely (File → Exit on Windows; closing the window leaves it running)"
	if runtime.GOOS == "darwin" {
		how = "quit it with ⌘Q (closing the window leaves it running)"
	}
	return who + " and holds its Local Storage: quit Claude Desktop first — " + how + "; " + then
}

// What follows quitting, for a reset (scheduled) and an undo (not).
const (
	thenReset = "the reset applies as it exits; relaunch it and the server is dialled again under the same name"
	thenUndo  = "then run the undo again"
)

// Blocked implements Mutation: Chromium's fcntl lock on LOCK, probed without
// taking it. Held is retryable (the app quitting frees it); an OS where the
// lock cannot be checked is not.
func (m *LocalStorageDelete) Blocked(context.Context) (string, bool) {
	held, pid, err := ProbeLock(m.Dir)
	switch {
	case errors.Is(err, ErrLockUnsupported):
		return "editing Claude Desktop's Local Storage is not supported on " + runtime.GOOS + " yet; nothing was changed", false
	case err != nil:
		return err.Error(), false
	case held:
		return quitAdvice(pid, thenReset), true
	}
	return "", false
}

// lock takes Chromium's lock for an edit; held is a *BlockedError.
func (m *LocalStorageDelete) lock(then string) (*LocalStorageLock, error) {
	l, err := LockLocalStorage(m.Dir)
	var le *LockedError
	if errors.As(err, &le) {
		return nil, &BlockedError{Reason: quitAdvice(le.PID, then)}
	}
	return l, err
}

func (m *LocalStorageDelete) recPath(dir string) string { return filepath.Clean(dir) + lsInstallExt }

// Backup implements Mutation: the whole directory but LOCK. Apply checks it
// again under the lock and takes it afresh if the app wrote in between; when
// the app has the database open right now, a copy could be torn, so none is
// taken here (Apply then waits for the lock and backs up under it).
func (m *LocalStorageDelete) Backup(_ context.Context, dir string) error {
	if _, err := os.Stat(m.Dir); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if held, _, _ := ProbeLock(m.Dir); held {
		return nil
	}
	return backupDB(m.Dir, dir)
}

// savedRow is one removed row, byte for byte.
type savedRow struct {
	Key   []byte `json:"key"`
	Value []byte `json:"value"`
}

// Apply implements Mutation (see LocalStorageDelete).
func (m *LocalStorageDelete) Apply(ctx context.Context, dir string) error {
	if _, err := os.Stat(m.Dir); errors.Is(err, fs.ErrNotExist) {
		return nil // the whole database is gone: nothing of ours is left
	}
	l, err := m.lock(thenReset)
	if err != nil {
		return err
	}
	defer l.Release()
	if err := settle(m.Dir, m.recPath(dir)); err != nil {
		return err
	}
	if !backupCurrent(m.Dir, dir) {
		if err := backupDB(m.Dir, dir); err != nil {
			return fmt.Errorf("backup failed, nothing was changed: %w", err)
		}
	}
	stage := filepath.Join(dir, lsStage)
	defer os.RemoveAll(stage)
	if err := copyDB(filepath.Join(dir, lsBackupDB), stage, nil); err != nil {
		return err
	}
	before, vals, err := readRows(ctx, stage, m.Dir, isMetaOrTarget(m.Targets))
	if err != nil {
		return err
	}
	ops, err := m.deletions(before, vals)
	if err != nil || len(ops) == 0 {
		return err
	}
	saved := make([]savedRow, 0, len(ops))
	for i := range ops {
		saved = append(saved, savedRow{Key: ops[i].Key, Value: ops[i].Value})
		ops[i].Delete = true
	}
	b, err := json.Marshal(saved)
	if err != nil {
		return err
	}
	if err := writePrivate(filepath.Join(dir, lsRemoved), b); err != nil {
		return err
	}
	return editLive(ctx, m.Dir, dir, stage, before, ops, m.recPath(dir))
}

// isMetaOrTarget selects the rows whose values an edit needs: the targets
// and every origin's META:/METAACCESS: rows.
func isMetaOrTarget(ts []LSTarget) func([]byte) bool {
	rows := map[string]bool{}
	for _, t := range ts {
		rows[string(t.Row)] = true
	}
	return func(k []byte) bool {
		return rows[string(k)] || bytes.HasPrefix(k, []byte(lsMetaPrefix)) || bytes.HasPrefix(k, []byte(lsMetaAccessPrefix))
	}
}

// deletions decides the rows to delete from a fresh read: each target still
// holding its planned value (one rewritten since planning refuses the whole
// edit), and the META:/METAACCESS: rows of every origin left without items.
func (m *LocalStorageDelete) deletions(before lsRows, vals map[string][]byte) ([]lsOp, error) {
	var ops []lsOp
	doomed := map[string]int{}
	for _, t := range m.Targets {
		h, ok := before[string(t.Row)]
		if !ok {
			continue // already gone
		}
		if rowHash(h) != t.Hash {
			return nil, &lockedfile.ChangedError{Path: m.Dir, What: "the item " + t.Origin + " " + t.Key + " was rewritten since the reset was planned"}
		}
		ops = append(ops, lsOp{Key: t.Row, Value: vals[string(t.Row)]})
		doomed[t.Origin]++
	}
	items := map[string]int{}
	for k := range before {
		if origin, _, ok := splitItemKey([]byte(k)); ok {
			items[string(origin)]++
		}
	}
	for origin, n := range doomed {
		if items[origin] != n {
			continue
		}
		for _, k := range []string{lsMetaPrefix + origin, lsMetaAccessPrefix + origin} {
			if _, ok := before[k]; ok {
				ops = append(ops, lsOp{Key: []byte(k), Value: vals[k]})
			}
		}
	}
	return ops, nil
}

// editLive applies ops to the staging copy, checks the result, installs it
// into live and checks live again; on any failure after live was touched it
// puts the whole backup in dir back. before is the staging copy's rows.
func editLive(ctx context.Context, live, dir, stage string, before lsRows, ops []lsOp, recPath string) error {
	if err := editStage(stage, ops); err != nil {
		return err // live untouched
	}
	after, _, err := readRows(ctx, stage, live, nil)
	if err != nil {
		return fmt.Errorf("the edited copy does not validate; nothing was changed: %w", err)
	}
	if err := expectRows(before, after, ops); err != nil {
		return fmt.Errorf("%w; nothing was changed", err)
	}
	if err := install(live, stage, recPath); err != nil {
		return restoreAfter(live, dir, err)
	}
	check := filepath.Join(dir, lsCheck)
	defer os.RemoveAll(check)
	err = copyDB(live, check, nil)
	if err == nil {
		var got lsRows
		if got, _, err = readRows(ctx, check, live, nil); err == nil {
			err = expectRows(after, got, nil)
		}
	}
	if err != nil {
		return restoreAfter(live, dir, fmt.Errorf("after installing the edit: %w", err))
	}
	return nil
}

// restoreAfter puts the whole backup back after a failed install.
func restoreAfter(live, dir string, cause error) error {
	if rerr := restoreWhole(live, dir); rerr != nil {
		return fmt.Errorf("%w; RESTORING THE BACKUP FAILED: %v (it is kept in %s)", cause, rerr, dir)
	}
	return fmt.Errorf("%w; the backup was put back", cause)
}

// Verify implements Mutation: applied when no target item is left. It reads
// a copy, so it works while the app runs; when the lock is free it first
// finishes an install a crash interrupted.
func (m *LocalStorageDelete) Verify(ctx context.Context, dir string) (bool, error) {
	if _, err := os.Stat(m.Dir); errors.Is(err, fs.ErrNotExist) {
		return true, nil
	}
	rec, err := readRecord(m.recPath(dir))
	if err != nil {
		return false, err
	}
	if rec != nil && !rec.Settled {
		// Lock only when there is something to finish: an app starting
		// while we hold the lock would run with an empty localStorage.
		if l, err := LockLocalStorage(m.Dir); err == nil {
			err = settle(m.Dir, m.recPath(dir))
			l.Release()
			if err != nil {
				return false, err
			}
		}
	}
	rows, err := m.readLive(ctx, dir)
	var de *DamagedError
	if errors.As(err, &de) && rec == nil {
		// Damaged, but not by an install of ours (none was made): the
		// change is not in place, and Apply refuses such a database.
		return false, nil
	}
	if err != nil {
		return false, err
	}
	for _, t := range m.Targets {
		if _, ok := rows[string(t.Row)]; ok {
			return false, nil
		}
	}
	return true, nil
}

// readLive reads a copy of the live database, leaving out the leftovers of
// an unsettled install, and retries a torn copy while the app may be
// writing.
func (m *LocalStorageDelete) readLive(ctx context.Context, dir string) (lsRows, error) {
	check := filepath.Join(dir, lsCheck)
	defer os.RemoveAll(check)
	var err error
	for attempt := 1; attempt <= readAttempts; attempt++ {
		var rec *installRecord
		var left map[string]string
		if rec, err = readRecord(m.recPath(dir)); err == nil {
			left, err = leftovers(m.Dir, rec)
		}
		skip := map[string]bool{}
		for n := range left {
			skip[n] = true
		}
		var rows lsRows
		if err == nil {
			if err = copyDB(m.Dir, check, skip); err == nil {
				if rows, _, err = readRows(ctx, check, m.Dir, nil); err == nil {
					return rows, nil
				}
			}
		}
		if held, _, _ := ProbeLock(m.Dir); !held || ctx.Err() != nil {
			break // a quiescent database reads the same every time
		}
	}
	return nil, err
}

// Restore implements Mutation: under Chromium's lock, every removed row that
// is absent is put back with its exact bytes, in one synced batch installed
// like the reset itself; a row already back is skipped; an item written
// again with other content refuses with a *ConflictError before anything
// changes. A database that no longer reads faithfully after an install of
// ours is replaced by the whole backup (Chromium would otherwise delete all
// of Local Storage).
func (m *LocalStorageDelete) Restore(ctx context.Context, dir string) error {
	b, err := os.ReadFile(filepath.Join(dir, lsRemoved))
	if errors.Is(err, fs.ErrNotExist) {
		return nil // Apply removed nothing
	}
	if err != nil {
		return fmt.Errorf("read backup: %w", err)
	}
	var saved []savedRow
	if err := json.Unmarshal(b, &saved); err != nil {
		return fmt.Errorf("backup %s: %w", dir, err)
	}
	if _, err := os.Stat(m.Dir); err != nil {
		return fmt.Errorf("cannot undo: %w; the backup stays in %s", err, dir)
	}
	l, err := m.lock(thenUndo)
	if err != nil {
		return err
	}
	defer l.Release()
	if err := settle(m.Dir, m.recPath(dir)); err != nil {
		return err
	}
	pre := filepath.Join(dir, "undo")
	stage := filepath.Join(dir, lsStage)
	defer os.RemoveAll(stage)
	if err := copyDB(m.Dir, stage, nil); err != nil {
		return err
	}
	want := map[string]bool{}
	for _, r := range saved {
		want[string(r.Key)] = true
	}
	before, _, err := readRows(ctx, stage, m.Dir, func(k []byte) bool { return want[string(k)] })
	var de *DamagedError
	if errors.As(err, &de) {
		if _, rerr := os.Stat(m.recPath(dir)); rerr != nil {
			return err // not damaged by an install of ours: not ours to replace
		}
		slog.Warn("Local Storage does not validate after a reset; putting the whole backup back", "dir", m.Dir, "reason", de.Reason)
		return restoreWhole(m.Dir, dir)
	}
	if err != nil {
		return err
	}
	var ops []lsOp
	for _, r := range saved {
		h, ok := before[string(r.Key)]
		switch {
		case !ok:
			ops = append(ops, lsOp{Key: r.Key, Value: r.Value})
		case h == sha256.Sum256(r.Value):
		case r.Key[0] == lsItemPrefix:
			it, _ := DecodeItem(r.Key, r.Value)
			return &ConflictError{File: m.Dir, Key: it.Origin + " " + registry.RedactText(it.Key)}
		}
		// A META row the app rewrote since is its own to keep.
	}
	if len(ops) == 0 {
		return nil
	}
	// The undo's own backup, for putting back what it installs if it fails.
	if err := backupDB(m.Dir, pre); err != nil {
		return err
	}
	if err := editLive(ctx, m.Dir, pre, stage, before, ops, m.recPath(dir)); err != nil {
		return err
	}
	return os.RemoveAll(pre)
}
