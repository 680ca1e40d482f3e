package desktop

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

	"github.com/mcpmend/mcpmend/cache/journal"
	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/internal/localstorage"
	"github.com/mcpmend/mcpmend/internal/lockedfile"
	"github.com/mcpmend/mcpmend/registry"
)

// KindDelete is the journal kind of Delete.
const KindDelete = "localstorage-delete"

func init() {
	journal.Register(KindDelete, func(spec json.RawMessage) (journal.Mutation, error) {
		var m Delete
		if err := json.Unmarshal(spec, &m); err != nil {
			return nil, err
		}
		if m.Dir == "" || len(m.Targets) == 0 {
			return nil, errors.New("no directory or no items")
		}
		return &m, nil
	})
}

// Target is one Local Storage item a Delete removes.
type Target struct {
	Row    []byte `json:"row"`    // the row key as stored: "_" + storage key + NUL + encoded item key
	Origin string `json:"origin"` // storage key
	Key    string `json:"key"`    // the item key, redacted, for messages
	Hash   string `json:"sha256"` // of the row's value when the reset was planned
	Detail string `json:"detail,omitempty"`
}

// Delete removes one server's items from a Claude Desktop Local
// Storage database, following the "Editing" steps of internal/localstorage: it
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
type Delete struct {
	Dir     string   `json:"dir"`
	Targets []Target `json:"targets"`
	note    string   // which way the last Restore took
}

// PlanReset implements store.Store for Claude Desktop's Local Storage: one
// Delete per database holding items whose key names the server.
// It applies to claude-desktop servers — configured or not: Desktop's remote
// connectors live only in its own storage, so a caller may pass a Server with
// just Name and Client set — and to Claude Code servers, whose name Desktop's
// Code chat remembers too (Remembers). A damaged database refuses the whole
// reset.
func (s Store) PlanReset(ctx context.Context, env registry.Env, req store.ResetRequest) ([]journal.Mutation, error) {
	if !Remembers(req.Server) {
		return nil, nil
	}
	if s.Others == nil {
		s.Others = ServerNames(req.Configured)
	}
	scans, err := s.ScanName(ctx, env, req.Server.Name)
	if err != nil {
		return nil, err
	}
	var muts []journal.Mutation
	for _, sc := range scans {
		m := planLocalStorage(sc)
		if len(m.Targets) == 0 {
			continue
		}
		muts = append(muts, m)
	}
	return muts, nil
}

// planLocalStorage turns a scan's resettable matches into targets, hashing
// each value as it was read.
func planLocalStorage(sc *localstorage.Scan) *Delete {
	m := &Delete{Dir: sc.Dir}
	bare := *sc
	bare.Lock = localstorage.LockState{} // who held the lock at planning time is no part of the change
	for _, mt := range sc.Matches {
		if !resettable(mt) {
			continue
		}
		rec := matchRecord(&bare, mt)
		sum := sha256.Sum256(mt.RowValue)
		m.Targets = append(m.Targets, Target{Row: bytes.Clone(mt.RowKey), Origin: mt.Item.Origin,
			Key: registry.RedactText(mt.Item.Key), Hash: localstorage.RowHash(sum), Detail: rec.Detail})
	}
	return m
}

func ServerNames(servers []registry.Server) []string {
	out := make([]string, 0, len(servers))
	for _, s := range servers {
		out = append(out, s.Name)
	}
	return out
}

// Store implements journal.Mutation.
func (m *Delete) Store() string { return store.Desktop }

// Kind implements journal.Mutation.
func (m *Delete) Kind() string { return KindDelete }

// Spec implements journal.Mutation: the directory, row keys and value hashes —
// never a value.
func (m *Delete) Spec() (json.RawMessage, error) { return json.Marshal(m) }

// Describe implements journal.Mutation.
func (m *Delete) Describe() []journal.Change {
	out := make([]journal.Change, 0, len(m.Targets))
	for _, t := range m.Targets {
		out = append(out, journal.Change{Store: store.Desktop, File: m.Dir, Key: t.Origin + " " + t.Key, Kind: KindItem,
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
	how := "quit it completely (closing the window leaves it running)"
	switch runtime.GOOS {
	case "windows":
		how = "quit it completely (File → Exit, or right-click its icon in the notification area → Quit; " +
			"closing the window leaves it running)"
	case "darwin":
		how = "quit it with ⌘Q (closing the window leaves it running)"
	}
	return who + " and holds its Local Storage: quit Claude Desktop first — " + how + "; " + then
}

// What follows quitting, for a reset (scheduled) and an undo (not).
const (
	thenReset = "the reset applies as it exits; relaunch it and the server is dialled again under the same name"
	thenUndo  = "then run the undo again"
)

// Blocked implements journal.Mutation: Chromium's lock on LOCK — fcntl on
// Unix, probed without taking it; LockFileEx on Windows, taken and released
// at once. Held is retryable (the app quitting frees it); an error is not.
func (m *Delete) Blocked(context.Context) (string, bool) {
	held, pid, err := localstorage.ProbeLock(m.Dir)
	switch {
	case err != nil:
		return err.Error(), false
	case held:
		return quitAdvice(pid, thenReset), true
	}
	return "", false
}

// lock takes Chromium's lock for an edit; held is a *BlockedError.
func (m *Delete) lock(then string) (*localstorage.Lock, error) {
	l, err := localstorage.TakeLock(m.Dir)
	var le *localstorage.LockedError
	if errors.As(err, &le) {
		return nil, &journal.BlockedError{Reason: quitAdvice(le.PID, then)}
	}
	return l, err
}

func (m *Delete) recPath(dir string) string {
	return filepath.Clean(dir) + localstorage.InstallExt
}

// Backup implements journal.Mutation: the whole directory but LOCK. Apply checks it
// again under the lock and takes it afresh if the app wrote in between; when
// the app has the database open right now, a copy could be torn, so none is
// taken here (Apply then waits for the lock and backs up under it).
func (m *Delete) Backup(_ context.Context, dir string) (err error) {
	defer func() { err = storeDamage(err) }()
	if _, err := os.Stat(m.Dir); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if held, _, _ := localstorage.ProbeLock(m.Dir); held {
		return nil
	}
	return localstorage.BackupDB(m.Dir, dir)
}

// savedRow is one removed row, byte for byte.
type savedRow struct {
	Key   []byte `json:"key"`
	Value []byte `json:"value"`
}

// Apply implements journal.Mutation (see Delete).
func (m *Delete) Apply(ctx context.Context, dir string) (err error) {
	defer func() { err = storeDamage(err) }()
	if _, err := os.Stat(m.Dir); errors.Is(err, fs.ErrNotExist) {
		return nil // the whole database is gone: nothing of ours is left
	}
	l, err := m.lock(thenReset)
	if err != nil {
		return err
	}
	defer l.Release()
	if err := localstorage.Settle(m.Dir, m.recPath(dir)); err != nil {
		return err
	}
	if !localstorage.BackupCurrent(m.Dir, dir) {
		if err := localstorage.BackupDB(m.Dir, dir); err != nil {
			return fmt.Errorf("backup failed, nothing was changed: %w", err)
		}
	}
	stage := filepath.Join(dir, localstorage.StageDirName)
	defer lockedfile.RemoveTree(stage)
	if err := localstorage.CopyDB(filepath.Join(dir, localstorage.BackupDBName), stage, nil); err != nil {
		return err
	}
	before, vals, err := localstorage.ReadRows(ctx, stage, m.Dir, isMetaOrTarget(m.Targets))
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
	if err := lockedfile.WritePrivate(filepath.Join(dir, localstorage.RemovedName), b); err != nil {
		return err
	}
	return editLive(ctx, m.Dir, dir, stage, before, ops, m.recPath(dir))
}

// isMetaOrTarget selects the rows whose values an edit needs: the targets
// and every origin's META:/METAACCESS: rows.
func isMetaOrTarget(ts []Target) func([]byte) bool {
	rows := map[string]bool{}
	for _, t := range ts {
		rows[string(t.Row)] = true
	}
	return func(k []byte) bool {
		return rows[string(k)] || bytes.HasPrefix(k, []byte(localstorage.MetaPrefix)) || bytes.HasPrefix(k, []byte(localstorage.MetaAccessPrefix))
	}
}

// deletions decides the rows to delete from a fresh read: each target still
// holding its planned value (one rewritten since planning refuses the whole
// edit), and the META:/METAACCESS: rows of every origin left without items.
func (m *Delete) deletions(before localstorage.Rows, vals map[string][]byte) ([]localstorage.Op, error) {
	var ops []localstorage.Op
	doomed := map[string]int{}
	for _, t := range m.Targets {
		h, ok := before[string(t.Row)]
		if !ok {
			continue // already gone
		}
		if localstorage.RowHash(h) != t.Hash {
			return nil, &lockedfile.ChangedError{Path: m.Dir, What: "the item " + t.Origin + " " + t.Key + " was rewritten since the reset was planned"}
		}
		ops = append(ops, localstorage.Op{Key: t.Row, Value: vals[string(t.Row)]})
		doomed[t.Origin]++
	}
	items := map[string]int{}
	for k := range before {
		if origin, _, ok := localstorage.SplitItemKey([]byte(k)); ok {
			items[string(origin)]++
		}
	}
	for origin, n := range doomed {
		if items[origin] != n {
			continue
		}
		for _, k := range []string{localstorage.MetaPrefix + origin, localstorage.MetaAccessPrefix + origin} {
			if _, ok := before[k]; ok {
				ops = append(ops, localstorage.Op{Key: []byte(k), Value: vals[k]})
			}
		}
	}
	return ops, nil
}

// editLive applies ops to the staging copy, checks the result, installs it
// into live and checks live again; on any failure after live was touched it
// puts the whole backup in dir back. before is the staging copy's rows.
func editLive(ctx context.Context, live, dir, stage string, before localstorage.Rows, ops []localstorage.Op, recPath string) error {
	if err := localstorage.EditStage(stage, ops); err != nil {
		return err // live untouched
	}
	after, _, err := localstorage.ReadRows(ctx, stage, live, nil)
	if err != nil {
		return fmt.Errorf("the edited copy does not validate; nothing was changed: %w", err)
	}
	if err := localstorage.ExpectRows(before, after, ops); err != nil {
		return fmt.Errorf("%w; nothing was changed", err)
	}
	if err := localstorage.Install(live, stage, recPath, dir); err != nil {
		return restoreAfter(live, dir, err)
	}
	check := filepath.Join(dir, localstorage.CheckDirName)
	defer lockedfile.RemoveTree(check)
	err = localstorage.CopyDB(live, check, nil)
	if err == nil {
		var got localstorage.Rows
		if got, _, err = localstorage.ReadRows(ctx, check, live, nil); err == nil {
			err = localstorage.ExpectRows(after, got, nil)
		}
	}
	if err != nil {
		return restoreAfter(live, dir, fmt.Errorf("after installing the edit: %w", err))
	}
	return nil
}

// restoreAfter puts the whole backup back after a failed install.
func restoreAfter(live, dir string, cause error) error {
	if rerr := localstorage.RestoreWhole(live, dir); rerr != nil {
		return fmt.Errorf("%w; RESTORING THE BACKUP FAILED: %v (it is kept in %s)", cause, rerr, dir)
	}
	return fmt.Errorf("%w; the backup was put back", cause)
}

// Verify implements journal.Mutation: applied when no target item is left. It reads
// a copy, so it works while the app runs; when the lock is free it first
// finishes an install a crash interrupted.
func (m *Delete) Verify(ctx context.Context, dir string) (_ bool, err error) {
	defer func() { err = storeDamage(err) }()
	if _, err := os.Stat(m.Dir); errors.Is(err, fs.ErrNotExist) {
		return true, nil
	}
	rec, err := localstorage.ReadRecord(m.recPath(dir))
	if err != nil {
		return false, err
	}
	if rec != nil && !rec.Settled {
		// Lock only when there is something to finish: an app starting
		// while we hold the lock would run with an empty localStorage.
		if l, err := localstorage.TakeLock(m.Dir); err == nil {
			err = localstorage.Settle(m.Dir, m.recPath(dir))
			l.Release()
			if err != nil {
				return false, err
			}
		}
	}
	rows, err := m.readLive(ctx, dir)
	var de *localstorage.DamagedError
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
func (m *Delete) readLive(ctx context.Context, dir string) (localstorage.Rows, error) {
	check := filepath.Join(dir, localstorage.CheckDirName)
	defer lockedfile.RemoveTree(check)
	var err error
	for attempt := 1; attempt <= localstorage.ReadAttempts; attempt++ {
		var rec *localstorage.InstallRecord
		var left map[string]string
		if rec, err = localstorage.ReadRecord(m.recPath(dir)); err == nil {
			left, err = localstorage.Leftovers(m.Dir, rec)
		}
		skip := map[string]bool{}
		for n := range left {
			skip[n] = true
		}
		var rows localstorage.Rows
		if err == nil {
			if err = localstorage.CopyDB(m.Dir, check, skip); err == nil {
				if rows, err = readCheck(ctx, check, m.Dir); err == nil {
					return rows, nil
				}
			}
		}
		if held, _, _ := localstorage.ProbeLock(m.Dir); !held || ctx.Err() != nil {
			break // a quiescent database reads the same every time
		}
	}
	return nil, err
}

// readCheck reads a copy of live strictly, or — when the app is not
// running and the copy's newest log only ends in a write cut short — the way
// LevelDB reads it (internal/localstorage doc.go, "Undo"). While the app
// runs, a torn tail may be a write still in progress: the strict error
// stands and readLive retries.
func readCheck(ctx context.Context, check, live string) (localstorage.Rows, error) {
	rows, _, err := localstorage.ReadRows(ctx, check, live, nil)
	var de *localstorage.DamagedError
	if !errors.As(err, &de) {
		return rows, err
	}
	if held, _, perr := localstorage.ProbeLock(live); held || perr != nil {
		return nil, err
	}
	if torn, terr := localstorage.CutTornTail(check, live); terr != nil || torn.Cut == 0 {
		return nil, err
	}
	if rows, _, rerr := localstorage.ReadRows(ctx, check, live, nil); rerr == nil {
		return rows, nil
	}
	return nil, err
}

// Restore implements journal.Mutation: under Chromium's lock, every removed
// row that is absent is put back with its exact bytes, in one synced batch
// installed like the reset itself; a row already back is skipped; an item
// written again with other content refuses with a *ConflictError before
// anything changes. Whatever the app wrote since the reset is kept
// (internal/localstorage doc.go, "Undo"):
//
//   - a live database whose newest log ends in a write cut short is read the
//     way LevelDB reads it (the torn tail dropped, on a staging copy) and the
//     rows are put back into that;
//   - one that still fails the strict read is replaced by the whole backup
//     only when it is provably what mcpmend's own install left
//     (localstorage.OwnInstall): the app has not written it since;
//   - anything else refuses, naming the directory and what was found, and
//     changes nothing.
//
// RestoreNote says which way the last Restore took.
func (m *Delete) Restore(ctx context.Context, dir string) (err error) {
	defer func() { err = storeDamage(err) }()
	m.note = ""
	saved, err := readSaved(dir)
	if err != nil || saved == nil {
		return err // nil: Apply removed nothing
	}
	if _, err := os.Stat(m.Dir); err != nil {
		return fmt.Errorf("cannot undo: %w; the backup stays in %s", err, dir)
	}
	l, err := m.lock(thenUndo)
	if err != nil {
		return err
	}
	defer l.Release()
	if err := localstorage.Settle(m.Dir, m.recPath(dir)); err != nil {
		return err
	}
	stage := filepath.Join(dir, localstorage.StageDirName)
	defer lockedfile.RemoveTree(stage)
	if err := localstorage.CopyDB(m.Dir, stage, nil); err != nil {
		return err
	}
	before, torn, err := m.readForUndo(ctx, dir, stage)
	if errors.Is(err, errOwnInstall) {
		return m.restoreWhole(dir)
	}
	if err != nil {
		return err
	}
	return m.putBack(ctx, dir, stage, saved, before, torn)
}

// RestoreNote implements journal.RestoreNoter: which way the last Restore
// took, for the undo's answer.
func (m *Delete) RestoreNote() string { return m.note }

// readSaved reads the rows Apply removed (nil when it removed none).
func readSaved(dir string) ([]savedRow, error) {
	b, err := os.ReadFile(filepath.Join(dir, localstorage.RemovedName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read backup: %w", err)
	}
	var saved []savedRow
	if err := json.Unmarshal(b, &saved); err != nil {
		return nil, fmt.Errorf("backup %s: %w", dir, err)
	}
	return saved, nil
}

// errOwnInstall says the live database fails the strict read and is
// provably what mcpmend's own install left.
var errOwnInstall = errors.New("damaged by mcpmend's own install")

// readForUndo reads the staging copy of the live database: strictly, and
// when that fails, the way LevelDB does (a torn log tail cut from the
// copy). It returns errOwnInstall when the damage is provably mcpmend's own,
// and a refusal naming what was found when it can read neither way.
func (m *Delete) readForUndo(ctx context.Context, dir, stage string) (localstorage.Rows, *localstorage.Torn, error) {
	before, _, err := localstorage.ReadRows(ctx, stage, m.Dir, nil)
	var de *localstorage.DamagedError
	if !errors.As(err, &de) {
		return before, nil, err
	}
	rec, rerr := localstorage.ReadRecord(m.recPath(dir))
	if rerr != nil {
		return nil, nil, rerr
	}
	notOurs, ours := localstorage.OwnInstall(m.Dir, rec)
	if ours {
		slog.Warn("Local Storage does not read back after mcpmend's own install and has not been written since; putting the whole backup back", "dir", m.Dir, "reason", de.Reason)
		return nil, nil, errOwnInstall
	}
	torn, err := localstorage.CutTornTail(stage, m.Dir)
	switch {
	case err != nil:
		return nil, nil, refuseUndo(m.Dir, dir, err, notOurs)
	case torn.Cut == 0:
		return nil, nil, refuseUndo(m.Dir, dir, de, notOurs)
	}
	before, _, err = localstorage.ReadRows(ctx, stage, m.Dir, nil)
	if errors.As(err, &de) {
		return nil, nil, refuseUndo(m.Dir, dir, de, notOurs)
	}
	return before, &torn, err
}

// refuseUndo is the refusal of an undo over a database that reads neither
// strictly nor as LevelDB would, and is not provably mcpmend's own.
func refuseUndo(live, dir string, cause error, notOurs string) error {
	reason := cause.Error()
	var de *localstorage.DamagedError
	if errors.As(cause, &de) {
		reason = de.Reason
	}
	return &localstorage.DamagedError{Dir: live, Reason: reason + "; undo changed nothing: it puts rows back only into a database it reads completely — strictly, or losing nothing but a write cut short at the end of the newest log, as LevelDB does — " +
		"and replaces the whole database only when it is provably what mcpmend's own install left (here: " + notOurs + "); the backup stays in " + dir}
}

// restoreWhole puts the whole database back from the backup the last
// install recorded.
func (m *Delete) restoreWhole(dir string) error {
	rec, err := localstorage.ReadRecord(m.recPath(dir))
	if err != nil {
		return err
	}
	backup, err := rec.BackupDir(dir)
	if err != nil {
		return err
	}
	if err := localstorage.RestoreWhole(m.Dir, backup); err != nil {
		return err
	}
	m.note = "the whole database was replaced by the backup taken before mcpmend's own install: it no longer read back, and Claude Desktop had not written it since"
	return nil
}

// putBack puts the absent removed rows into the staging copy (read into
// before) and installs it; torn, when set, is the torn log tail the copy
// was cut to.
func (m *Delete) putBack(ctx context.Context, dir, stage string, saved []savedRow, before localstorage.Rows, torn *localstorage.Torn) error {
	ops, err := m.undoOps(saved, before)
	if err != nil {
		return err
	}
	if len(ops) == 0 {
		m.note = "every removed row was already back; nothing changed"
		return nil
	}
	// The undo's own backup, for putting back what it installs if it fails.
	pre := filepath.Join(dir, "undo")
	if err := localstorage.BackupDB(m.Dir, pre); err != nil {
		return err
	}
	if err := editLive(ctx, m.Dir, pre, stage, before, ops, m.recPath(dir)); err != nil {
		return err
	}
	m.note = fmt.Sprintf("put back the %d removed rows; every row written since the reset was kept", len(ops))
	if len(ops) < len(saved) {
		m.note = fmt.Sprintf("put back %d of the %d removed rows (the others were already there); every row written since the reset was kept", len(ops), len(saved))
	}
	if torn != nil {
		m.note += "; " + torn.String()
	}
	return lockedfile.RemoveTree(pre)
}

// undoOps lists the removed rows that are absent, refusing when an item
// was written again with other content. A META row the app rewrote since
// is its own to keep.
func (m *Delete) undoOps(saved []savedRow, before localstorage.Rows) ([]localstorage.Op, error) {
	var ops []localstorage.Op
	for _, r := range saved {
		h, ok := before[string(r.Key)]
		switch {
		case !ok:
			ops = append(ops, localstorage.Op{Key: r.Key, Value: r.Value})
		case h == sha256.Sum256(r.Value):
		case r.Key[0] == localstorage.ItemPrefix:
			it, _ := localstorage.DecodeItem(r.Key, r.Value)
			return nil, &journal.ConflictError{File: m.Dir, Key: it.Origin + " " + registry.RedactText(it.Key)}
		}
	}
	return ops, nil
}

// storeDamage turns the Local Storage package's own *DamagedError into the
// store contract's, naming this store; other errors pass unchanged.
func storeDamage(err error) error {
	var de *localstorage.DamagedError
	if errors.As(err, &de) {
		return &store.DamagedError{Store: store.Desktop, File: de.Dir, Reason: de.Reason}
	}
	return err
}
