package mutation

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"

	"github.com/tidwall/gjson"

	"github.com/mcpmend/mcpmend/cache/journal"
	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/internal/crashpoint"
	"github.com/mcpmend/mcpmend/internal/jsonedit"
	"github.com/mcpmend/mcpmend/internal/lockedfile"
)

// KindJSONDelete is the journal kind of JSONDelete.
const KindJSONDelete = "json-delete"

func init() { journal.RegisterSpec[JSONDelete](KindJSONDelete) }

// JSONTarget is one record a JSONDelete removes.
type JSONTarget struct {
	Path   jsonedit.Path `json:"path"`
	Kind   string        `json:"kind,omitempty"`
	Detail string        `json:"detail,omitempty"`
	// Hash is the sha256 of the value's raw bytes when the reset was
	// planned: Apply refuses if the value is different by then.
	Hash string `json:"sha256,omitempty"`
}

// JSONDelete removes keys from a JSON file another program owns: under the
// owner's lock (if it has one) it re-reads the file, checks it still parses
// and that every planned value is unchanged, deletes the keys with escaped
// sjson paths, keeps the file's layout (Compact, Node, …) and every other byte,
// and replaces the file atomically. Claude Code's needs-auth cache (no lock,
// compact) and .credentials.json (.storage-write.lock, compact, 0600) use it.
//
// Undo: when the file is still exactly what Apply wrote, the whole original
// file comes back byte for byte (rebuilt from the removed records and
// checked against the hash of the pre-image: no copy of the file is kept); when it changed since (the client wrote other
// keys), each removed value is put back at its path, byte for byte, and the
// other changes are kept — unless a removed key exists again with different
// content, in which case undo refuses (ConflictError) and changes nothing.
type JSONDelete struct {
	StoreName string         `json:"store"`
	File      string         `json:"file"`
	Lock      *LockSpec      `json:"lock,omitempty"`
	Perm      fs.FileMode    `json:"perm,omitempty"` // forced mode (0600 for credentials); 0 keeps the file's
	Style     jsonedit.Style `json:"style"`
	Targets   []JSONTarget   `json:"targets"`
	// Links is whether the file is written through a symlink (its owner
	// does so too: the needs-auth cache, rewritten in place) or a linked
	// file is refused (the default: .credentials.json). Hard links are
	// always refused (see lockedfile.Links).
	Links lockedfile.Links `json:"links,omitempty"`
}

// writeOptions is how Apply and Restore replace the file: the user's owner
// and group kept (root on a user's home), links as m.Links says.
func (m *JSONDelete) writeOptions(snap *lockedfile.Snapshot, check func() error) lockedfile.WriteOptions {
	return lockedfile.WriteOptions{Perm: m.Perm, Expect: snap, BeforeRename: check, KeepOwner: true, Links: m.Links}
}

// PlanJSONDelete reads file and plans removing the targets that exist,
// recording a hash of each value. A missing file plans nothing; a file that
// does not parse is a *DamagedError.
func PlanJSONDelete(store, file string, lock *lockedfile.DirLock, perm fs.FileMode, style jsonedit.Style, targets []JSONTarget) (*JSONDelete, error) {
	m := &JSONDelete{StoreName: store, File: file, Lock: SpecOfLock(lock), Perm: perm, Style: style}
	snap, err := lockedfile.Read(file)
	if err != nil || !snap.Exists {
		return m, err
	}
	if err := m.parses(snap.Data); err != nil {
		return nil, err
	}
	if err := m.planTargets(snap.Data, targets); err != nil {
		return nil, err
	}
	return m, nil
}

// planTargets adds the targets present in data, the bytes the plan is made
// from, each with the hash of its value, which Apply checks again.
func (m *JSONDelete) planTargets(data []byte, targets []JSONTarget) error {
	if err := noDuplicates(m.StoreName, m.File, data, targets); err != nil {
		return err
	}
	for _, t := range targets {
		raw, ok, err := jsonedit.Get(data, t.Path)
		if err != nil {
			return fmt.Errorf("%s: %w", m.File, err)
		}
		if ok {
			t.Hash = HashBytes(raw)
			m.Targets = append(m.Targets, t)
		}
	}
	return nil
}

func HashBytes(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func (m *JSONDelete) parses(data []byte) error {
	if !gjson.ValidBytes(data) || !gjson.ParseBytes(data).IsObject() {
		return &store.DamagedError{Store: m.StoreName, File: m.File, Reason: "not a JSON object"}
	}
	return noDuplicates(m.StoreName, m.File, data, m.Targets)
}

// Store implements journal.Mutation.
func (m *JSONDelete) Store() string { return m.StoreName }

// Kind implements journal.Mutation.
func (m *JSONDelete) Kind() string { return KindJSONDelete }

// Spec implements journal.Mutation: paths and hashes only, no values.
func (m *JSONDelete) Spec() (json.RawMessage, error) { return json.Marshal(m) }

// Describe implements journal.Mutation.
func (m *JSONDelete) Describe() []journal.Change {
	out := make([]journal.Change, 0, len(m.Targets))
	for _, t := range m.Targets {
		out = append(out, journal.Change{Store: m.StoreName, File: m.File, Key: t.Path.String(), Kind: t.Kind, Action: "delete", Detail: t.Detail})
	}
	return out
}

// Blocked implements journal.Mutation: a JSON file is never blocked for long; the
// owner's lock is waited for (up to its stale time) inside Apply.
func (m *JSONDelete) Blocked(context.Context) (string, bool) { return "", false }

// Backup implements journal.Mutation: each planned value, nothing else of
// the file (see backupRecords).
func (m *JSONDelete) Backup(_ context.Context, dir string) error {
	snap, err := lockedfile.Read(m.File)
	if err != nil || !snap.Exists {
		return err
	}
	return backupTargets(dir, snap.Data, m.Targets)
}

// Apply implements journal.Mutation.
func (m *JSONDelete) Apply(ctx context.Context, dir string) error {
	lockedfile.RemoveStaleTemps(m.File)
	release, check, err := m.Lock.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	snap, err := lockedfile.Read(m.File)
	if err != nil || !snap.Exists {
		return err // gone: nothing of ours is left to delete
	}
	if err := m.parses(snap.Data); err != nil {
		return err
	}
	doc, splices, err := deleteTargets(snap.Data, m.Targets, m.File)
	if err != nil {
		return err
	}
	if bytes.Equal(doc, snap.Data) {
		return nil
	}
	out := jsonedit.Format(snap.Data, doc, m.Style)
	if !gjson.ValidBytes(out) {
		return fmt.Errorf("%s: the edited document does not parse; nothing was written", m.File)
	}
	if err := saveApplied(dir, snap.Data, out, splices); err != nil {
		return err
	}
	crashpoint.Hit("json-before-replace")
	return lockedfile.WriteFile(m.File, out, m.writeOptions(&snap, check))
}

// Verify implements journal.Mutation: applied when no target key exists. A key
// that exists with another value is not "applied": it was rewritten (Apply
// refuses it) or re-created since, and either way the reset did not hold.
func (m *JSONDelete) Verify(context.Context, string) (bool, error) {
	snap, err := lockedfile.Read(m.File)
	if err != nil || !snap.Exists {
		return err == nil, err
	}
	if err := m.parses(snap.Data); err != nil {
		return false, err
	}
	return targetsGone(snap.Data, m.Targets), nil
}

// Restore implements journal.Mutation (see JSONDelete for the two ways it works).
func (m *JSONDelete) Restore(ctx context.Context, dir string) error {
	recs, ok, err := loadRecords(dir)
	if err != nil || !ok {
		return err
	}
	release, check, err := m.Lock.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	snap, err := lockedfile.Read(m.File)
	if err != nil {
		return err
	}
	write := func(data []byte) error {
		return lockedfile.WriteFile(m.File, data, m.writeOptions(&snap, check))
	}
	doc := []byte("{}")
	if snap.Exists {
		if pre, ok := appliedPreImage(dir, snap.Data); ok {
			return write(pre) // untouched since Apply: the whole file, byte for byte
		}
		if err := m.parses(snap.Data); err != nil {
			return err
		}
		doc = snap.Data
	}
	doc, changed, err := putBack(doc, recs, m.File)
	if err != nil || !changed {
		return err
	}
	orig := snap.Data
	if !snap.Exists {
		orig = doc
	}
	return write(jsonedit.Format(orig, doc, m.Style))
}

// JSONDeleteFrom builds a JSONDelete whose hashes come from data, the bytes
// the caller planned from (compact layout, as Claude Code writes these files).
func JSONDeleteFrom(store, file string, lock *lockedfile.DirLock, perm fs.FileMode, data []byte, targets []JSONTarget) (*JSONDelete, error) {
	m := &JSONDelete{StoreName: store, File: file, Lock: SpecOfLock(lock), Perm: perm, Style: jsonedit.Compact}
	if err := m.planTargets(data, targets); err != nil {
		return nil, err
	}
	return m, nil
}
