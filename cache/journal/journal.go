package journal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mcpmend/mcpmend/internal/crashpoint"
	"github.com/mcpmend/mcpmend/internal/homeowner"
	"github.com/mcpmend/mcpmend/internal/lockedfile"
	"github.com/mcpmend/mcpmend/registry"
)

// Status is where one store's part of a reset stands.
type Status string

// Statuses of a journal step.
const (
	StatusPlanned Status = "planned" // recorded, not yet applied
	StatusWaiting Status = "waiting" // the store is locked (e.g. Claude Desktop is running); apply-pending applies it later
	StatusApplied Status = "applied" // done and verified
	StatusFailed  Status = "failed"  // refused or failed; the store is as it was (Reason says why)
	StatusUndone  Status = "undone"  // undone from its backup, or cancelled before it was applied
	// StatusCancelled: the reset was cancelled (a signal, an MCP client
	// cancelling the call) before this step started; nothing changed and
	// nothing resumes it.
	StatusCancelled Status = "cancelled"
)

// Write-ahead phases: persisted before the action starts and cleared with
// the step's new status, so a later start knows what was in flight.
const (
	phaseBackup = "backup"
	phaseApply  = "apply"
	phaseUndo   = "undo"
)

// DefaultMaxWait bounds how long a waiting step is kept before it is given up.
const DefaultMaxWait = 24 * time.Hour

// ServerRef names the server a reset is for. Printable.
type ServerRef struct {
	Name   string `json:"name"`
	Client string `json:"client,omitempty"`
	Scope  string `json:"scope,omitempty"`
	File   string `json:"file,omitempty"`
}

// Step is one store's part of a reset.
type Step struct {
	Store     string          `json:"store"`
	Kind      string          `json:"kind"`
	Spec      json.RawMessage `json:"spec"`
	Changes   []Change        `json:"changes"`
	Status    Status          `json:"status"`
	Phase     string          `json:"phase,omitempty"`  // in flight when set: "backup", "apply", "undo"
	Reason    string          `json:"reason,omitempty"` // why waiting or failed, or what undo refused
	Attempts  int             `json:"attempts,omitempty"`
	Backup    string          `json:"backup"` // directory, relative to the entry's
	Updated   time.Time       `json:"updated"`
	AppliedAt *time.Time      `json:"applied_at,omitempty"`
	UndoneAt  *time.Time      `json:"undone_at,omitempty"`
	WaitUntil time.Time       `json:"wait_until"` // a waiting step is given up after this
}

// Entry is one reset: the plan, where its backups are, and each store's
// status. It holds no secret: values live only in the backup files (0600).
type Entry struct {
	ID      string    `json:"id"`
	Server  ServerRef `json:"server"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
	Steps   []Step    `json:"steps"`
	// ForgetTokens: the reset removed stored tokens (forget_tokens); its
	// backups hold them and are dropped once the undo window passes (see
	// Retention).
	ForgetTokens bool `json:"forget_tokens,omitempty"`
	// BackupsDropped is when Prune deleted the backups of a forget_tokens
	// reset: it can no longer be undone.
	BackupsDropped *time.Time `json:"backups_dropped,omitempty"`
	dir            string
	held           *lockedfile.KernelHeld // the entry's lock while this process works on it
}

// Dir is the entry's directory (entry.json and the backups).
func (e *Entry) Dir() string { return e.dir }

// Pending reports whether some step still waits or was interrupted.
func (e *Entry) Pending() bool {
	for _, s := range e.Steps {
		if s.Phase != "" || s.Status == StatusWaiting || s.Status == StatusPlanned {
			return true
		}
	}
	return false
}

// Journal is mcpmend's record of resets under the state directory:
// <state>/journal/<id>/entry.json plus one backup directory per step.
type Journal struct {
	Dir string
	Log *slog.Logger
	Now func() time.Time
	// Home is the home the journal belongs to: a reset root runs there
	// leaves the journal owned by the home's owner, and root accepts a
	// journal that owner owns (see trust).
	Home string
	// Env is the environment the stores' paths are derived from when a
	// step's scope is checked (see RegisterScope).
	Env registry.Env
}

// Open returns the journal for env (nothing is created until a reset).
func Open(env registry.Env, log *slog.Logger) *Journal {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Journal{Dir: filepath.Join(env.StateHome(), "journal"), Log: log, Now: time.Now, Home: env.Home, Env: env}
}

func (j *Journal) now() time.Time { return j.Now().UTC() }

// stateDir is the directory holding the journal (mcpmend's state directory).
func (j *Journal) stateDir() string { return filepath.Dir(j.Dir) }

// mayWrite refuses every write of the journal — a reset, an undo, a replay
// — when the home belongs to another user than the one mcpmend runs as and
// --as-owner was not given (internal/homeowner). Reading it is allowed.
func (j *Journal) mayWrite() error {
	return homeowner.Check(j.Home, j.Env.AsOwner)
}

// untrusted returns an error when the journal directory, or entry dir
// inside it, is not one mcpmend accepts (see trust), and logs it.
func (j *Journal) untrusted(dir string) error {
	why := j.trust(dir)
	if why == "" {
		return nil
	}
	j.Log.Warn("ignoring a journal directory mcpmend does not trust", "dir", dir, "why", why)
	return fmt.Errorf("journal %s is ignored: %s", dir, why)
}

// BeginOptions tunes Begin.
type BeginOptions struct {
	// MaxWait bounds how long a step may wait for its store; 0 means
	// DefaultMaxWait.
	MaxWait time.Duration
	// ForgetTokens marks a reset that removes stored tokens: its backups
	// are kept only for the token window (see Retention).
	ForgetTokens bool
}

// Begin records a planned reset (every step "planned") and returns it. Apply
// runs it. Nothing in any store has changed yet.
func (j *Journal) Begin(srv ServerRef, muts []Mutation, opt BeginOptions) (*Entry, error) {
	if opt.MaxWait <= 0 {
		opt.MaxWait = DefaultMaxWait
	}
	now := j.now()
	e := &Entry{Server: srv, Created: now, Updated: now, ForgetTokens: opt.ForgetTokens}
	for i, m := range muts {
		spec, err := m.Spec()
		if err != nil {
			return nil, fmt.Errorf("journal %s: %w", m.Store(), err)
		}
		e.Steps = append(e.Steps, Step{Store: m.Store(), Kind: m.Kind(), Spec: spec, Changes: m.Describe(),
			Status: StatusPlanned, Backup: "backup-" + strconv.Itoa(i), Updated: now, WaitUntil: now.Add(opt.MaxWait)})
	}
	if err := j.mayWrite(); err != nil {
		return nil, err
	}
	if err := j.untrusted(j.Dir); err != nil {
		return nil, err
	}
	id, err := j.reserve(now)
	if err != nil {
		return nil, err
	}
	e.ID, e.dir = id, filepath.Join(j.Dir, id)
	if err := j.save(e); err != nil {
		return nil, err
	}
	j.giveToHomeOwner()
	return e, nil
}

const entryFile = "entry.json"

// save persists e atomically: a crash leaves the previous version or this one.
//
// While the entry's lock is held, save first checks it still is: a process
// that finds its lock gone (the entry removed or replaced under it) must not
// write what it believed over what someone else did since.
func (j *Journal) save(e *Entry) error {
	if e.held != nil {
		if err := e.held.Check(); err != nil {
			return fmt.Errorf("journal %s not saved: %w", e.ID, err)
		}
	}
	e.Updated = j.now()
	b, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return err
	}
	if err := lockedfile.WriteFile(filepath.Join(e.dir, entryFile), b, lockedfile.WriteOptions{Perm: 0o600, KeepOwner: true}); err != nil {
		return fmt.Errorf("journal %s: %w", e.ID, err)
	}
	return nil
}

// Get reads one entry.
func (j *Journal) Get(id string) (*Entry, error) {
	if id == "" || strings.ContainsAny(id, `/\`) || id == "." || id == ".." {
		return nil, fmt.Errorf("no reset with id %q", id)
	}
	dir := filepath.Join(j.Dir, id)
	if err := j.untrusted(j.Dir); err != nil {
		return nil, err
	}
	if err := j.untrusted(dir); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(dir, entryFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no reset with id %q in %s (a reset is pruned, with its backups, once its retention passes: %s)", id, j.Dir, RetentionEnv)
	}
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	var e Entry
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("journal entry %s is damaged: %w", filepath.Join(dir, entryFile), err)
	}
	e.dir = dir
	return &e, nil
}

// List returns every entry, oldest first. Damaged entries are logged and
// skipped (ListAll reports them).
func (j *Journal) List() ([]*Entry, error) {
	es, _, err := j.ListAll()
	return es, err
}

// DamagedEntry is an entry directory whose entry.json cannot be read.
type DamagedEntry struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

// ListAll returns every readable entry, oldest first, and every damaged one.
func (j *Journal) ListAll() ([]*Entry, []DamagedEntry, error) {
	if j.untrusted(j.Dir) != nil {
		return nil, nil, nil // logged: reported as no journal, never read
	}
	des, err := os.ReadDir(j.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("journal: %w", err)
	}
	var out []*Entry
	var damaged []DamagedEntry
	for _, d := range des {
		if !d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			continue // a file, or an entry Prune is deleting (pruneTrash)
		}
		e, err := j.Get(d.Name())
		if err != nil {
			j.Log.Warn("skipping journal entry", "id", d.Name(), "err", err)
			damaged = append(damaged, DamagedEntry{ID: d.Name(), Reason: err.Error()})
			continue
		}
		out = append(out, e)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].ID < out[b].ID })
	return out, damaged, nil
}

// lockEntry takes the entry's own lock, so two mcpmend processes (a CLI, a
// serve, the apply-pending worker) never run the same entry at once. It is
// a kernel lock (lockedfile.KernelLock): it never expires under a live
// holder, however long that holder is stopped or asleep, and a holder that
// died releases it at once.
func (j *Journal) lockEntry(ctx context.Context, e *Entry, wait time.Duration) (*lockedfile.KernelHeld, error) {
	l := lockedfile.KernelLock{Path: filepath.Join(e.dir, entryLockFile), Wait: wait, Owner: "another mcpmend"}
	return l.Acquire(ctx)
}

// entryLockFile is the entry's lock file (older versions used a "lock"
// directory, which is ignored).
const entryLockFile = "entry.lock"

// Apply runs every planned or waiting step of the reset id: steps whose
// store is locked become "waiting" (apply-pending finishes them), the others
// end "applied" or "failed". It also finishes a step a crash interrupted.
func (j *Journal) Apply(ctx context.Context, id string) (*Entry, error) {
	return j.withEntry(ctx, id, 10*time.Second, func(e *Entry) error {
		j.advance(ctx, e, true)
		return nil
	})
}

// withEntry runs fn on a fresh read of entry id under the entry's lock.
func (j *Journal) withEntry(ctx context.Context, id string, wait time.Duration, fn func(*Entry) error) (*Entry, error) {
	if err := j.mayWrite(); err != nil {
		return nil, err
	}
	e, err := j.Get(id)
	if err != nil {
		return nil, err
	}
	// The wait is bounded and not cancellable: a reset cancelled between
	// Begin and Apply must still get its steps marked cancelled.
	h, err := j.lockEntry(context.WithoutCancel(ctx), e, wait)
	if errors.Is(err, fs.ErrNotExist) {
		// The entry went since it was read (a prune in another process):
		// say so, not that someone works on it, nor show it as it was.
		if _, gerr := j.Get(id); gerr != nil {
			return nil, gerr
		}
	}
	if err != nil {
		return e, fmt.Errorf("reset %s is being worked on by another process: %w", id, err)
	}
	defer h.Release()
	defer j.giveToHomeOwner()
	if e, err = j.Get(id); err != nil { // re-read under the lock
		return nil, err
	}
	e.held = h
	defer func() { e.held = nil }()
	return e, fn(e)
}

// advance moves every unfinished step forward once: recover what a crash
// interrupted, give up steps that waited too long, apply the rest. Once ctx
// ends no step starts; with cancelRest (the reset the user is running, not a
// later replay) the steps not started are marked cancelled.
func (j *Journal) advance(ctx context.Context, e *Entry, cancelRest bool) {
	for i := range e.Steps {
		s := &e.Steps[i]
		if ctx.Err() != nil {
			if cancelRest && s.Phase == "" && (s.Status == StatusPlanned || s.Status == StatusWaiting) {
				j.finish(e, s, StatusCancelled, cancelReason(ctx))
			}
			continue
		}
		m, err := j.mutationOf(e, s)
		if err != nil {
			if s.Status == StatusPlanned || s.Status == StatusWaiting {
				j.finish(e, s, StatusFailed, err.Error())
			}
			continue
		}
		if s.Phase != "" {
			j.recover(stepContext(ctx), e, i, m)
		}
		if s.Status == StatusPlanned || s.Status == StatusWaiting {
			j.runStep(stepContext(ctx), e, i, m)
		}
	}
}

// finish records a step's new status and clears its phase.
func (j *Journal) finish(e *Entry, s *Step, st Status, reason string) {
	now := j.now()
	s.Status, s.Phase, s.Reason, s.Updated = st, "", reason, now
	switch st {
	case StatusApplied:
		s.AppliedAt = &now
	case StatusUndone:
		s.UndoneAt = &now
	}
	j.persist(e)
}

// setPhase persists the write-ahead marker before an action starts.
func (j *Journal) setPhase(e *Entry, s *Step, phase string) error {
	s.Phase, s.Updated = phase, j.now()
	return j.save(e)
}

func (j *Journal) persist(e *Entry) {
	if err := j.save(e); err != nil {
		j.Log.Error("journal not updated", "id", e.ID, "err", err)
	}
}

func (j *Journal) backupDir(e *Entry, s *Step) string { return filepath.Join(e.dir, s.Backup) }

// runStep applies one step: Blocked, Backup, Apply, Verify, each preceded by
// its write-ahead marker.
func (j *Journal) runStep(ctx context.Context, e *Entry, i int, m Mutation) {
	s := &e.Steps[i]
	if reason, retryable := m.Blocked(ctx); reason != "" {
		j.block(e, s, reason, retryable)
		return
	}
	// Each attempt backs up into its own directory, recorded before it is
	// written, so no attempt ever removes or overwrites another's backup.
	prev := s.Backup
	s.Backup = fmt.Sprintf("backup-%d.%d", i, s.Attempts+1)
	dir := j.backupDir(e, s)
	if err := j.setPhase(e, s, phaseBackup); err != nil {
		j.Log.Error("journal", "err", err)
		s.Backup = prev
		return // nothing done: the step stays as it was
	}
	crashpoint.Hit("journal-before-backup")
	lockedfile.RemoveTree(dir) // only a crashed earlier try of this very attempt
	if err := lockedfile.MkdirAll(dir, 0o700); err != nil {
		j.finish(e, s, StatusFailed, "backup: "+err.Error())
		return
	}
	if err := m.Backup(ctx, dir); err != nil {
		j.finish(e, s, StatusFailed, "backup failed, nothing was changed: "+err.Error())
		return
	}
	s.Attempts++
	if err := j.setPhase(e, s, phaseApply); err != nil {
		j.Log.Error("journal", "err", err)
		s.Phase = phaseBackup
		return
	}
	crashpoint.Hit("journal-after-backup")
	err := m.Apply(ctx, dir)
	crashpoint.Hit("journal-after-apply")
	var be *BlockedError
	if errors.As(err, &be) {
		j.block(e, s, be.Reason, true)
		return
	}
	j.settle(ctx, e, s, m, err)
}

// block records a store that cannot be written now.
func (j *Journal) block(e *Entry, s *Step, reason string, retryable bool) {
	switch {
	case !retryable:
		j.finish(e, s, StatusFailed, reason)
	case j.now().After(s.WaitUntil):
		j.finish(e, s, StatusFailed, fmt.Sprintf("gave up at %s after waiting since %s: %s; nothing was changed — run the reset again",
			j.now().Format(time.RFC3339), e.Created.Format(time.RFC3339), reason))
	default:
		j.finish(e, s, StatusWaiting, reason)
	}
}

// settle decides a step's status after Apply from what is on disk: Verify
// says whether the change landed; a store Verify cannot read is restored from
// the backup.
func (j *Journal) settle(ctx context.Context, e *Entry, s *Step, m Mutation, applyErr error) {
	// A refusal (a planned record rewritten since planning, the owner's lock
	// held) wrote nothing by definition. Verify must not turn it into
	// "applied" just because the planned value is no longer there.
	var changed *lockedfile.ChangedError
	var locked *lockedfile.LockedError
	if errors.As(applyErr, &changed) || errors.As(applyErr, &locked) {
		j.finish(e, s, StatusFailed, applyErr.Error())
		return
	}
	applied, verr := m.Verify(ctx, j.backupDir(e, s))
	switch {
	case verr == nil && !applied && cancelled(applyErr):
		j.finish(e, s, StatusCancelled, cancelReason(WaitContext(ctx)))
	case verr != nil:
		why := "after apply the store does not verify: " + verr.Error()
		if applyErr != nil {
			why = applyErr.Error() + "; " + why
		}
		j.rollback(ctx, e, s, m, why)
	case applied && applyErr != nil:
		j.finish(e, s, StatusApplied, "applied; reported: "+applyErr.Error())
	case applied:
		j.finish(e, s, StatusApplied, "")
	case applyErr != nil:
		j.finish(e, s, StatusFailed, applyErr.Error())
	default:
		j.finish(e, s, StatusFailed, "apply reported success but the records are still there")
	}
}

func (j *Journal) rollback(ctx context.Context, e *Entry, s *Step, m Mutation, why string) {
	if err := m.Restore(ctx, j.backupDir(e, s)); err != nil {
		j.finish(e, s, StatusFailed, why+"; RESTORE FAILED: "+err.Error()+"; the backup is kept in "+j.backupDir(e, s))
		return
	}
	j.finish(e, s, StatusFailed, why+"; restored from the backup")
}

// recover resolves a step a crash interrupted (its phase is still set): an
// interrupted backup changed nothing and is simply redone; an interrupted
// apply is judged by Verify (landed → applied; not landed → applied again,
// with the same checks; unreadable → restored); an interrupted undo is run
// again (Restore is idempotent).
func (j *Journal) recover(ctx context.Context, e *Entry, i int, m Mutation) {
	s := &e.Steps[i]
	j.Log.Info("resuming interrupted reset step", "id", e.ID, "store", s.Store, "phase", s.Phase)
	switch s.Phase {
	case phaseBackup:
		lockedfile.RemoveTree(j.backupDir(e, s))
		s.Phase = ""
		j.persist(e)
	case phaseApply:
		applied, err := m.Verify(ctx, j.backupDir(e, s))
		switch {
		case err != nil:
			j.rollback(ctx, e, s, m, "interrupted while applying; the store does not verify: "+err.Error())
		case applied:
			j.finish(e, s, StatusApplied, "")
		default:
			s.Phase = ""
			j.persist(e) // stays planned/waiting: runStep applies it again
		}
	case phaseUndo:
		j.undoStep(ctx, e, s, m)
	}
}

// Undo puts back everything reset id removed, newest step first. Steps not
// yet applied are cancelled. A step whose records were re-created since
// refuses (ConflictError) and stays applied; the error lists them.
//
// An undo, once started, is finished: it runs under a context that cannot
// be cancelled (every Restore is bounded by its own lock wait and timeouts).
func (j *Journal) Undo(ctx context.Context, id string) (*Entry, error) {
	ctx = context.WithoutCancel(ctx)
	return j.withEntry(ctx, id, 10*time.Second, func(e *Entry) error {
		if e.BackupsDropped != nil {
			return &BackupsDroppedError{ID: e.ID, At: *e.BackupsDropped}
		}
		if err := j.laterOverlap(e); err != nil {
			return err
		}
		var errs []error
		for i := len(e.Steps) - 1; i >= 0; i-- {
			s := &e.Steps[i]
			m, err := j.mutationOf(e, s)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if s.Phase != "" && s.Phase != phaseUndo {
				j.recover(ctx, e, i, m)
			}
			switch {
			case s.Status == StatusApplied || s.Phase == phaseUndo:
				if err := j.undoStep(ctx, e, s, m); err != nil {
					errs = append(errs, fmt.Errorf("%s: %w", s.Store, err))
				}
			case s.Status == StatusPlanned || s.Status == StatusWaiting:
				j.finish(e, s, StatusUndone, "cancelled before it was applied; nothing had changed")
			case s.Status == StatusFailed && s.Attempts > 0:
				j.retryFailed(ctx, e, s, m)
			}
		}
		return errors.Join(errs...)
	})
}

func (j *Journal) undoStep(ctx context.Context, e *Entry, s *Step, m Mutation) error {
	if s.Phase != phaseUndo {
		if err := j.setPhase(e, s, phaseUndo); err != nil {
			return err
		}
	}
	crashpoint.Hit("journal-before-restore")
	if err := m.Restore(ctx, j.backupDir(e, s)); err != nil {
		s.Phase = ""
		s.Reason = "undo refused: " + err.Error()
		j.persist(e)
		return err
	}
	j.finish(e, s, StatusUndone, restoreNote(m))
	return nil
}

// retryFailed runs Restore for a failed step that got as far as a backup: a
// write can land and still be reported as failed (a `security` call that
// timed out after the item was written), and undo must not skip what it
// may have removed. Restore is idempotent — records still in place are
// skipped — and a record rewritten by its owner since (ConflictError) is
// not ours to put back. The step stays failed; its reason says what undo did.
func (j *Journal) retryFailed(ctx context.Context, e *Entry, s *Step, m Mutation) {
	if strings.Contains(s.Reason, undoCheckedNote) {
		return
	}
	if _, err := os.Stat(j.backupDir(e, s)); err != nil {
		return
	}
	var ce *ConflictError
	err := m.Restore(ctx, j.backupDir(e, s))
	switch {
	case err == nil:
		s.Reason += "; " + undoCheckedNote + ": whatever it had removed is back"
	case errors.As(err, &ce):
		return // the owner's newer value stays; nothing of ours to put back
	default:
		j.Log.Warn("undo: re-checking a failed step", "id", e.ID, "store", s.Store, "err", err)
		return
	}
	s.Updated = j.now()
	j.persist(e)
}

const undoCheckedNote = "undo checked its backup"
