package journal

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mcpmend/mcpmend/internal/lockedfile"
	"github.com/mcpmend/mcpmend/registry"
)

// How long the journal keeps what a reset removed. A backup is what makes
// undo possible, but it is also a copy of things the user asked to be rid
// of, so it is kept for a bounded time:
//
//   - an entry and its backups go DefaultRetention after the entry's last
//     change (its last step applied, undone or failed), when Prune runs;
//   - the backups of a reset run with forget_tokens — the server's own
//     tokens, client secrets and the like — go DefaultTokenWindow after the
//     reset, while the entry itself stays (without its backups it can no
//     longer be undone, and says so).
//
// Entries still pending or in flight, entries another process holds, and
// entries that cannot be read are never pruned.
const (
	DefaultRetention   = 30 * 24 * time.Hour
	DefaultTokenWindow = 7 * 24 * time.Hour
)

// Environment variables that set the retention (see ParseRetention for the
// form of their values).
const (
	RetentionEnv   = "MCPMEND_RETENTION"
	TokenWindowEnv = "MCPMEND_FORGET_TOKENS_WINDOW"
)

// Retention is how long the journal keeps entries and token backups. A zero
// duration keeps them for good.
type Retention struct {
	Entries time.Duration `json:"entries"`
	Tokens  time.Duration `json:"forget_tokens_backups"`
}

// RetentionOf reads the retention from env (MCPMEND_RETENTION and
// MCPMEND_FORGET_TOKENS_WINDOW), defaulting each. A value that does not
// parse is an error naming the variable.
func RetentionOf(env registry.Env) (Retention, error) {
	r := Retention{Entries: DefaultRetention, Tokens: DefaultTokenWindow}
	for _, v := range []struct {
		name string
		dst  *time.Duration
	}{{RetentionEnv, &r.Entries}, {TokenWindowEnv, &r.Tokens}} {
		s := env.Expand(v.name)
		if s == "" {
			continue
		}
		d, err := ParseRetention(s)
		if err != nil {
			return r, fmt.Errorf("%s=%q: %w", v.name, s, err)
		}
		*v.dst = d
	}
	return r, nil
}

// ParseRetention reads a retention: a Go duration ("72h", "90m"), a number
// of days ("30d"), or "never" (keep for good, returned as 0).
func ParseRetention(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "never" {
		return 0, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseFloat(days, 64)
		// NaN, Inf and ages beyond what a Duration holds (or below a
		// nanosecond) would convert to 0 or a negative: "never", silently.
		ns := n * float64(24*time.Hour)
		if err != nil || !(ns >= 1 && ns < math.MaxInt64) {
			return 0, errors.New("want a positive number of days such as 30d, a duration such as 72h, or never")
		}
		return time.Duration(ns), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, errors.New("want a positive number of days such as 30d, a duration such as 72h, or never")
	}
	return d, nil
}

// FormatRetention renders a duration the way ParseRetention reads it.
func FormatRetention(d time.Duration) string {
	switch {
	case d <= 0:
		return "never"
	case d%(24*time.Hour) == 0:
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	}
	return d.String()
}

// lastChange is when e last changed: its creation or a step's latest
// transition. (Entry.Updated also moves when the journal records something
// about the entry, such as dropped backups, which must not extend its life.)
func (e *Entry) lastChange() time.Time {
	t := e.Created
	for _, s := range e.Steps {
		if s.Updated.After(t) {
			t = s.Updated
		}
	}
	return t
}

// Expires is when Prune may remove e under r; zero when never.
func (e *Entry) Expires(r Retention) time.Time {
	if r.Entries <= 0 {
		return time.Time{}
	}
	return e.lastChange().Add(r.Entries)
}

// TokensExpire is when the backups of a forget_tokens reset are dropped
// under r; zero when e kept the tokens, or r keeps them for good.
func (e *Entry) TokensExpire(r Retention) time.Time {
	if !e.ForgetTokens || r.Tokens <= 0 {
		return time.Time{}
	}
	return e.Created.Add(r.Tokens)
}

// PruneOptions tunes Prune.
type PruneOptions struct {
	DryRun bool     // only report
	Spare  []string // ids never touched in this pass (the entry `undo ID` is about to undo)
}

// PruneReport is what a Prune pass did, or (dry run) would do.
type PruneReport struct {
	Retention Retention `json:"retention"`
	DryRun    bool      `json:"dry_run,omitempty"`
	// Removed lists the entries removed with their backups.
	Removed []PrunedEntry `json:"removed"`
	// TokensDropped lists the forget_tokens entries whose backups went.
	TokensDropped []PrunedEntry `json:"tokens_dropped,omitempty"`
	// Kept lists the expired entries left alone, and why.
	Kept []KeptEntry `json:"kept,omitempty"`
	// Damaged entries cannot be read, so they are never pruned.
	Damaged []DamagedEntry `json:"damaged,omitempty"`
}

// PrunedEntry is one entry a prune removed (or dropped the backups of).
type PrunedEntry struct {
	ID      string    `json:"id"`
	Server  string    `json:"server"`
	Expired time.Time `json:"expired"`
}

// KeptEntry is an expired entry Prune did not remove.
type KeptEntry struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

// pruneTrash prefixes the name an entry directory is renamed to before it
// is deleted: ListAll skips dot names, so a half-deleted entry never shows
// as damaged, and the next Prune finishes deleting it.
const pruneTrash = ".pruned-"

// Prune removes the entries that expired under r, with their backups, and
// drops the backups of forget_tokens entries whose window passed. It never
// touches an entry that is pending or in flight or that another process
// holds, nor an entry an older kept reset overlaps (undoing that older one
// later must still see it: see laterOverlap).
func (j *Journal) Prune(r Retention, opt PruneOptions) (*PruneReport, error) {
	dryRun := opt.DryRun
	rep := &PruneReport{Retention: r, DryRun: dryRun, Removed: []PrunedEntry{}}
	entries, damaged, err := j.ListAll()
	if err != nil {
		return nil, err
	}
	rep.Damaged = damaged
	if !dryRun {
		j.removeTrash()
	}
	now := j.now()
	var kept []*Entry
	for _, e := range entries {
		if slices.Contains(opt.Spare, e.ID) {
			kept = append(kept, e) // the entry the command is about to work on
			continue
		}
		if exp := e.TokensExpire(r); !exp.IsZero() && !now.Before(exp) && e.BackupsDropped == nil && !e.Pending() {
			if err := j.dropBackups(e, dryRun); err != nil {
				rep.Kept = append(rep.Kept, KeptEntry{ID: e.ID, Reason: "token backups not dropped: " + err.Error()})
			} else {
				rep.TokensDropped = append(rep.TokensDropped, PrunedEntry{ID: e.ID, Server: e.Server.Name, Expired: exp})
			}
		}
		exp := e.Expires(r)
		if exp.IsZero() || now.Before(exp) {
			kept = append(kept, e)
			continue
		}
		why := ""
		switch older := overlapping(kept, e); {
		case e.Pending():
			why = "pending or in flight: it is finished or rolled back first"
		case older != "":
			why = "the older reset " + older + " changed the same records and is kept: undo order needs this one"
		default:
			if err := j.removeEntry(e, dryRun); err != nil {
				why = err.Error()
			}
		}
		if why != "" {
			rep.Kept = append(rep.Kept, KeptEntry{ID: e.ID, Reason: why})
			kept = append(kept, e)
			continue
		}
		rep.Removed = append(rep.Removed, PrunedEntry{ID: e.ID, Server: e.Server.Name, Expired: exp})
	}
	return rep, nil
}

// overlapping names an entry in kept, still applied in part, that changed a
// record e's applied steps changed ("" when none).
func overlapping(kept []*Entry, e *Entry) string {
	for _, k := range kept {
		for _, ks := range k.Steps {
			for _, s := range e.Steps {
				if ks.Status != StatusApplied || s.Status != StatusApplied {
					continue
				}
				if _, ok := overlap(ks.Changes, s.Changes); ok {
					return k.ID
				}
			}
		}
	}
	return ""
}

// tryLock takes e's lock without waiting: an entry another process works on
// is left for a later pass.
func (j *Journal) tryLock(e *Entry) (*lockedfile.KernelHeld, error) {
	l := lockedfile.KernelLock{Path: filepath.Join(e.dir, entryLockFile), Owner: "another mcpmend"}
	h, err := l.Acquire(context.Background())
	if err != nil {
		return nil, fmt.Errorf("being worked on by another process: %w", err)
	}
	return h, nil
}

// removeEntry deletes e's directory: under e's lock it re-reads e, checks it
// is still not pending, and renames the directory out of the journal (so no
// other process can start on it), then deletes it.
func (j *Journal) removeEntry(e *Entry, dryRun bool) error {
	if dryRun {
		return nil
	}
	h, err := j.tryLock(e)
	if err != nil {
		return err
	}
	fresh, err := j.Get(e.ID)
	if err != nil {
		h.Release()
		return err
	}
	if fresh.Pending() {
		h.Release()
		return errors.New("pending or in flight: it is finished or rolled back first")
	}
	trash := filepath.Join(j.Dir, pruneTrash+e.ID)
	err = renameEntryDir(h, e.dir, trash)
	if err != nil {
		return fmt.Errorf("not removed: %w", err)
	}
	if err := lockedfile.RemoveTree(trash); err != nil {
		j.Log.Warn("pruned journal entry not fully deleted; the next prune finishes it", "dir", trash, "err", err)
	}
	return nil
}

// renameEntryDir moves an entry out of the journal. On Unix it is renamed
// while its lock is held (the lock then no longer guards anything another
// process could find) and released after; Windows cannot rename a directory
// holding an open file, so the lock is released first and the rename fails
// if another process keeps the entry open (lockedfile.Rename retries for its
// busy budget first) — it is then kept.
func renameEntryDir(h *lockedfile.KernelHeld, from, to string) error {
	if renameWhileHeld {
		defer h.Release()
	} else {
		h.Release()
	}
	return lockedfile.Rename(from, to)
}

// renameWhileHeld: whether the OS renames a directory with an open file in it.
var renameWhileHeld = runtime.GOOS != "windows"

// removeTrash finishes deleting entries an earlier prune renamed away.
func (j *Journal) removeTrash() {
	des, err := os.ReadDir(j.Dir)
	if err != nil {
		return
	}
	for _, d := range des {
		if d.IsDir() && strings.HasPrefix(d.Name(), pruneTrash) {
			_ = lockedfile.RemoveTree(filepath.Join(j.Dir, d.Name()))
		}
	}
}

// dropBackups deletes every backup directory of a forget_tokens entry and
// records when, so undo can say why it has nothing to put back.
func (j *Journal) dropBackups(e *Entry, dryRun bool) error {
	if dryRun {
		return nil
	}
	h, err := j.tryLock(e)
	if err != nil {
		return err
	}
	defer h.Release()
	fresh, err := j.Get(e.ID)
	if err != nil {
		return err
	}
	if fresh.Pending() {
		return errors.New("pending or in flight")
	}
	fresh.held = h
	now := j.now()
	fresh.BackupsDropped = &now
	// Recorded first: an entry whose backups may be half gone must never be
	// undone as if they were all there.
	if err := j.save(fresh); err != nil {
		return err
	}
	des, err := os.ReadDir(fresh.dir)
	if err != nil {
		return err
	}
	var errs []error
	for _, d := range des {
		if d.IsDir() && strings.HasPrefix(d.Name(), "backup-") {
			errs = append(errs, lockedfile.RemoveTree(filepath.Join(fresh.dir, d.Name())))
		}
	}
	*e = *fresh
	e.held = nil
	return errors.Join(errs...)
}

// BackupsDroppedError refuses to undo a forget_tokens reset whose backups
// were dropped when its window passed.
type BackupsDroppedError struct {
	ID string
	At time.Time
}

func (e *BackupsDroppedError) Error() string {
	return fmt.Sprintf("cannot undo %s: it removed stored tokens (forget_tokens), and their backups were deleted on %s when the undo window passed (%s sets it); nothing was changed — sign in again instead",
		e.ID, e.At.Format(time.RFC3339), TokenWindowEnv)
}
