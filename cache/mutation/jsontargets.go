package mutation

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/mcpmend/mcpmend/cache/journal"
	"github.com/mcpmend/mcpmend/internal/jsonedit"
	"github.com/mcpmend/mcpmend/internal/lockedfile"
)

// This file is the edit JSONDelete (a JSON file) and KeychainDelete (the
// same document kept in a Keychain item) share: remove planned keys whose
// values still hash as planned, back up what is removed, and undo either
// whole (nothing else changed the document since) or record by record. The
// two differ only in where the document is read from and written to, so
// the helpers take the document's bytes and a name for it ("where") that
// errors carry.

// Backup files, inside the step's backup directory.
const (
	backupRecords  = "records.json" // the removed values, byte for byte
	backupOriginal = "original"     // the whole document as Backup saw it
	backupPre      = "pre-image"    // the exact bytes Apply replaced
	backupPostHash = "post.sha256"  // hash of the bytes Apply wrote
)

// savedRecord is one removed value. Raw is a string, not a RawMessage:
// encoding/json would compact a RawMessage and lose its layout.
type savedRecord struct {
	Path jsonedit.Path `json:"path"`
	Raw  string        `json:"raw"`
}

// acquire takes the owner's lock when there is one. check re-verifies,
// just before a write, that the lock is still ours; with no lock both are
// no-ops.
func (s *LockSpec) acquire(ctx context.Context) (release func(), check func() error, err error) {
	l := s.lock()
	if l == nil {
		return func() {}, func() error { return nil }, nil
	}
	h, err := l.Acquire(journal.WaitContext(ctx)) // nothing written yet: a cancelled caller may stop waiting
	if err != nil {
		return nil, nil, err
	}
	return func() { _ = h.Release() }, h.Check, nil
}

// backupTargets saves the whole document and, separately, each target's
// value that still has its planned hash (what an undo puts back when the
// document changed since).
func backupTargets(dir string, doc []byte, targets []JSONTarget) error {
	recs := []savedRecord{}
	for _, t := range targets {
		if raw, ok, _ := jsonedit.Get(doc, t.Path); ok && HashBytes(raw) == t.Hash {
			recs = append(recs, savedRecord{Path: t.Path, Raw: string(raw)})
		}
	}
	b, err := json.Marshal(recs)
	if err != nil {
		return err
	}
	if err := lockedfile.WritePrivate(filepath.Join(dir, backupOriginal), doc); err != nil {
		return err
	}
	return lockedfile.WritePrivate(filepath.Join(dir, backupRecords), b)
}

// deleteTargets removes each target still in doc. A value that no longer
// has its planned hash was rewritten by the owner since planning: the
// whole edit is refused with a *lockedfile.ChangedError.
func deleteTargets(doc []byte, targets []JSONTarget, where string) ([]byte, error) {
	for _, t := range targets {
		raw, ok, err := jsonedit.Get(doc, t.Path)
		if err != nil || !ok {
			continue // already gone
		}
		if HashBytes(raw) != t.Hash {
			return nil, &lockedfile.ChangedError{Path: where, What: t.Path.String() + " was rewritten since the reset was planned"}
		}
		if doc, err = jsonedit.Delete(doc, t.Path); err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
	}
	return doc, nil
}

// saveApplied records, before Apply writes, the bytes it replaces and the
// hash of the bytes it writes, so Restore can tell whether the document is
// still exactly Apply's.
func saveApplied(dir string, pre, post []byte) error {
	if err := lockedfile.WritePrivate(filepath.Join(dir, backupPre), pre); err != nil {
		return err
	}
	return lockedfile.WritePrivate(filepath.Join(dir, backupPostHash), []byte(HashBytes(post)))
}

// targetsGone reports whether no target key is left in doc: Verify's
// "applied". A key present with another value counts as left — it was
// rewritten or re-created since, so the reset did not hold.
func targetsGone(doc []byte, targets []JSONTarget) bool {
	for _, t := range targets {
		if _, ok, _ := jsonedit.Get(doc, t.Path); ok {
			return false
		}
	}
	return true
}

// loadRecords reads the values Backup saved; ok is false when Backup never
// finished, so Apply never ran and there is nothing to undo.
func loadRecords(dir string) (recs []savedRecord, ok bool, err error) {
	b, err := os.ReadFile(filepath.Join(dir, backupRecords))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read backup: %w", err)
	}
	if err := json.Unmarshal(b, &recs); err != nil {
		return nil, false, fmt.Errorf("backup %s: %w", dir, err)
	}
	return recs, true, nil
}

// appliedPreImage returns the bytes Apply replaced when cur is still
// exactly what Apply wrote: an undo then puts the whole document back,
// byte for byte.
func appliedPreImage(dir string, cur []byte) ([]byte, bool) {
	pre, errPre := os.ReadFile(filepath.Join(dir, backupPre))
	post, errPost := os.ReadFile(filepath.Join(dir, backupPostHash))
	if errPre != nil || errPost != nil || HashBytes(cur) != string(post) {
		return nil, false
	}
	return pre, true
}

// putBack re-inserts each removed value that is missing from doc, keeping
// whatever else changed. A removed key that exists again with other
// content is newer state: a *ConflictError, and nothing is returned to
// write. changed is false when every value was already back.
func putBack(doc []byte, recs []savedRecord, where string) (out []byte, changed bool, err error) {
	for _, r := range recs {
		cur, ok, err := jsonedit.Get(doc, r.Path)
		if err != nil {
			return nil, false, err
		}
		if ok {
			// Already back (perhaps re-indented at another depth by a
			// Node-style write): skip. Anything else is newer state.
			if bytes.Equal(compact(cur), compact([]byte(r.Raw))) {
				continue
			}
			return nil, false, &journal.ConflictError{File: where, Key: r.Path.String()}
		}
		if doc, err = jsonedit.SetRaw(doc, r.Path, []byte(r.Raw)); err != nil {
			return nil, false, fmt.Errorf("%s: %w", where, err)
		}
		changed = true
	}
	return doc, changed, nil
}

func compact(b []byte) []byte { return jsonedit.Format(b, b, jsonedit.Compact) }
