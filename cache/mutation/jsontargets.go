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

// Backup files, inside the step's backup directory. A backup keeps only
// what the step removes — never the rest of the document, which holds the
// Claude account's own tokens and every other server's records:
//
//   - records.json: each removed value, byte for byte (what an undo puts
//     back when the document changed since);
//   - applied.json: the sha256 of the bytes Apply replaced and of the bytes
//     it wrote, and the splices that rebuild the first from the second (each
//     one removed member, key and separator included). An undo that finds
//     the document still exactly as Apply wrote it rebuilds the old bytes
//     from it and writes them only when they hash as recorded: byte for
//     byte, with no copy of the document kept anywhere.
const (
	backupRecords = "records.json"
	backupApplied = "applied.json"
)

// Backup files mcpmend wrote before backups were cut down to the removed
// records: whole copies of the document. They are read (an undo of an entry
// written then must still work) and never written.
const (
	legacyPre      = "pre-image"   // the exact bytes Apply replaced
	legacyPostHash = "post.sha256" // hash of the bytes Apply wrote
)

// appliedRecord is applied.json.
type appliedRecord struct {
	Pre     string   `json:"pre_sha256"`
	Post    string   `json:"post_sha256"`
	Splices []splice `json:"splices,omitempty"`
}

// splice is one removed run of bytes: Text was at offset At of the
// document as it was right before that one deletion.
type splice struct {
	At   int    `json:"at"`
	Text string `json:"text"`
}

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

// backupTargets saves each target's value that still has its planned hash:
// what an undo puts back. Nothing else of doc is kept.
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
	return lockedfile.WritePrivate(filepath.Join(dir, backupRecords), b)
}

// deleteTargets removes each target still in doc and returns the splices
// that put the removed bytes back (nil when a deletion was not one
// contiguous run). A value that no longer has its planned hash was
// rewritten by the owner since planning: the whole edit is refused with a
// *lockedfile.ChangedError.
func deleteTargets(doc []byte, targets []JSONTarget, where string) ([]byte, []splice, error) {
	var splices []splice
	spliced := true
	for _, t := range targets {
		raw, ok, err := jsonedit.Get(doc, t.Path)
		if err != nil || !ok {
			continue // already gone
		}
		if HashBytes(raw) != t.Hash {
			return nil, nil, &lockedfile.ChangedError{Path: where, What: t.Path.String() + " was rewritten since the reset was planned"}
		}
		next, err := jsonedit.Delete(doc, t.Path)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", where, err)
		}
		sp, ok := removedRun(doc, next)
		spliced = spliced && ok
		splices = append(splices, sp)
		doc = next
	}
	if !spliced {
		splices = nil
	}
	return doc, splices, nil
}

// removedRun finds the one run of bytes whose removal turns before into
// after. When the run's edges repeat (`,"a":1` before `,"a2":…`) the run
// found may be shifted by those repeated bytes: it is then a rotation of
// the removed bytes, still nothing but them.
func removedRun(before, after []byte) (splice, bool) {
	d := len(before) - len(after)
	if d <= 0 {
		return splice{}, false
	}
	p := 0
	for p < len(after) && before[p] == after[p] {
		p++
	}
	if !bytes.Equal(before[p+d:], after[p:]) {
		return splice{}, false
	}
	return splice{At: p, Text: string(before[p : p+d])}, true
}

// rebuild puts the removed runs back into doc, newest first.
func rebuild(doc []byte, splices []splice) ([]byte, bool) {
	out := doc
	for i := len(splices) - 1; i >= 0; i-- {
		sp := splices[i]
		if sp.At < 0 || sp.At > len(out) {
			return nil, false
		}
		out = append(append(append([]byte{}, out[:sp.At]...), sp.Text...), out[sp.At:]...)
	}
	return out, true
}

// saveApplied records, before Apply writes, the hashes of the bytes it
// replaces and of the bytes it writes, and the splices that rebuild the
// first from the second — kept only when they do (a re-formatted document
// changed more than the removed runs), so an undo never has to trust them.
func saveApplied(dir string, pre, post []byte, splices []splice) error {
	if got, ok := rebuild(post, splices); !ok || !bytes.Equal(got, pre) {
		splices = nil
	}
	b, err := json.Marshal(appliedRecord{Pre: HashBytes(pre), Post: HashBytes(post), Splices: splices})
	if err != nil {
		return err
	}
	return lockedfile.WritePrivate(filepath.Join(dir, backupApplied), b)
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
// byte for byte. The bytes are rebuilt from cur and the removed runs and
// returned only when they hash as the pre-image did; a backup written
// before backups were cut down holds the pre-image itself.
func appliedPreImage(dir string, cur []byte) ([]byte, bool) {
	if b, err := os.ReadFile(filepath.Join(dir, backupApplied)); err == nil {
		var a appliedRecord
		if json.Unmarshal(b, &a) != nil || HashBytes(cur) != a.Post || len(a.Splices) == 0 {
			return nil, false
		}
		pre, ok := rebuild(cur, a.Splices)
		if !ok || HashBytes(pre) != a.Pre {
			return nil, false
		}
		return pre, true
	}
	pre, errPre := os.ReadFile(filepath.Join(dir, legacyPre))
	post, errPost := os.ReadFile(filepath.Join(dir, legacyPostHash))
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
