package installer

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/mcpmend/mcpmend/cache/journal"
	"github.com/mcpmend/mcpmend/internal/jsonedit"
	"github.com/mcpmend/mcpmend/internal/lockedfile"
	"github.com/mcpmend/mcpmend/registry"
)

// KindEntryChange is the journal kind of EntryChange.
const KindEntryChange = "config-entry"

func init() {
	journal.RegisterSpec[EntryChange](KindEntryChange)
}

// EntryChange sets or removes one entry of a client's config file: the
// mcpmend entry install adds and uninstall removes. It is a journal.Mutation,
// so the journal backs the file up first, applies, verifies and can undo.
type EntryChange struct {
	Client    string          `json:"client"`
	File      string          `json:"file"`
	Format    string          `json:"format"`
	Container string          `json:"container"`
	Name      string          `json:"name"`
	Action    string          `json:"action"`          // add, replace, remove
	After     json.RawMessage `json:"after,omitempty"` // the new entry (mcpmend's own: no secret); nil removes
	// Before is the canonical hash of the entry when the change was planned
	// ("" when there was none): Apply refuses if it is different by then.
	Before string `json:"before_sha256,omitempty"`
}

// Backup files inside the step's backup directory. A backup keeps the
// entry as it was and hashes — never the rest of the file, which holds
// every other server's configuration (headers, env values):
//
//   - prior.json: whether the entry existed, and its value (mcpmend's own);
//   - absent: marker, there was no file at all;
//   - applied.json: the sha256 of the bytes Apply replaced and wrote, and —
//     when the edit changed one run of bytes that holds nothing but the
//     entry and punctuation — that run, so an undo of a file still exactly
//     as Apply left it gives the old bytes back, checked against the hash.
const (
	bkPrior       = "prior.json"
	bkAbsent      = "absent"
	bkAppliedJSON = "applied.json"
)

// Backup files mcpmend wrote before backups were cut down: the whole file
// and the hash of what Apply wrote. Read for undo, never written.
const (
	bkOriginal = "original"
	bkApplied  = "applied.sha256"
)

// priorEntry is prior.json.
type priorEntry struct {
	Had   bool            `json:"had"`
	Entry json.RawMessage `json:"entry,omitempty"`
}

// Store implements journal.Mutation.
func (m *EntryChange) Store() string { return "config/" + m.Client }

// Kind implements journal.Mutation.
func (m *EntryChange) Kind() string { return KindEntryChange }

// Spec implements journal.Mutation.
func (m *EntryChange) Spec() (json.RawMessage, error) { return json.Marshal(m) }

// Describe implements journal.Mutation.
func (m *EntryChange) Describe() []journal.Change {
	d := "mcpmend's entry"
	if m.After != nil {
		d = describeEntry(m.After) + ": serve"
	}
	return []journal.Change{{Store: m.Store(), File: m.File, Key: jsonedit.Path{m.Container, m.Name}.String(),
		Kind: "mcp-entry", Action: m.Action, Detail: d}}
}

// Blocked implements journal.Mutation: config files are never held for long;
// Claude Code's lock is waited for inside Apply.
func (m *EntryChange) Blocked(context.Context) (string, bool) { return "", false }

// lock takes the file owner's lock where it has one (Claude Code's
// ~/.claude.json.lock) and returns its release and last check.
func (m *EntryChange) lock(ctx context.Context) (release func(), check func() error, err error) {
	if m.Format != registry.FormatClaudeJSON {
		return func() {}, nil, nil
	}
	l := lockedfile.DirLock{Path: m.File + ".lock", Stale: lockedfile.DefaultStale, Owner: "Claude Code"}
	h, err := l.Acquire(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", m.File, err)
	}
	return func() { h.Release() }, h.Check, nil
}

// Backup implements journal.Mutation: the entry as it is (or that there is
// none), or a note that there is no file.
func (m *EntryChange) Backup(_ context.Context, dir string) error {
	snap, raw, ok, err := m.current()
	if err != nil {
		return err
	}
	if !snap.Exists {
		return writePrivate(filepath.Join(dir, bkAbsent), nil)
	}
	b, err := json.Marshal(priorEntry{Had: ok, Entry: raw})
	if err != nil {
		return err
	}
	return writePrivate(filepath.Join(dir, bkPrior), b)
}

func writePrivate(path string, data []byte) error {
	return lockedfile.WriteFile(path, data, lockedfile.WriteOptions{Perm: 0o600})
}

// current reads the file and its entry.
func (m *EntryChange) current() (lockedfile.Snapshot, json.RawMessage, bool, error) {
	snap, err := lockedfile.Read(m.File)
	if err != nil || !snap.Exists {
		return snap, nil, false, err
	}
	raw, ok, err := getEntry(m.Format, snap.Data, m.Container, m.Name)
	if err != nil {
		return snap, nil, false, fmt.Errorf("%s: %w; nothing was changed", m.File, err)
	}
	return snap, raw, ok, nil
}

// Apply implements journal.Mutation: under the owner's lock, re-read, check
// the entry is still as planned, edit only its bytes, check the result
// parses to exactly that change, and replace the file atomically keeping
// its mode and owner.
func (m *EntryChange) Apply(ctx context.Context, dir string) error {
	release, check, err := m.lock(ctx)
	if err != nil {
		return err
	}
	defer release()
	snap, cur, ok, err := m.current()
	if err != nil {
		return err
	}
	if canonicalHash(cur, ok) != m.Before {
		return &lockedfile.ChangedError{Path: m.File, What: "its " + m.Name + " entry changed since it was planned"}
	}
	data := snap.Data
	if !snap.Exists {
		data = emptyDoc(m.Format)
	}
	out, err := setEntry(m.Format, data, m.Container, m.Name, m.After)
	if err != nil {
		return fmt.Errorf("%s: %w", m.File, err)
	}
	if snap.Exists && string(out) == string(snap.Data) {
		return nil
	}
	if err := writePrivate(filepath.Join(dir, bkAppliedJSON), appliedOf(snap.Data, out, m.Name, m.Container, cur)); err != nil {
		return err
	}
	if err := lockedfile.MkdirAll(filepath.Dir(m.File), 0o700); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(m.File), err)
	}
	return lockedfile.WriteFile(m.File, out, writeOptions(&snap, check))
}

// Verify implements journal.Mutation: the entry is what the change asked for.
func (m *EntryChange) Verify(context.Context, string) (bool, error) {
	_, cur, ok, err := m.current()
	if err != nil {
		return false, err
	}
	return canonicalHash(cur, ok) == canonicalHash(m.After, m.After != nil), nil
}

// Restore implements journal.Mutation. A file still exactly as Apply wrote it
// gets its old bytes back (a file install created is removed again);
// otherwise only the entry is put back as it was, keeping whatever else the
// client or the user changed since — unless the entry itself was changed
// again, which undo refuses (journal.ConflictError).
func (m *EntryChange) Restore(ctx context.Context, dir string) error {
	release, check, err := m.lock(ctx)
	if err != nil {
		return err
	}
	defer release()
	snap, cur, ok, err := m.current()
	if err != nil {
		return err
	}
	b, err := m.loadBackup(dir)
	if err != nil {
		return err
	}
	opt := writeOptions(&snap, check)
	if snap.Exists && b.postHash == hex.EncodeToString(sum(snap.Data)) {
		if b.absent {
			if err := snap.Unchanged(); err != nil {
				return err
			}
			if err := lockedfile.Remove(m.File); err != nil {
				return fmt.Errorf("remove %s, which install created: %w", m.File, err)
			}
			return nil
		}
		if pre, ok := b.preImage(snap.Data); ok {
			return lockedfile.WriteFile(m.File, pre, opt)
		}
	}
	switch canonicalHash(cur, ok) {
	case canonicalHash(b.prior.Entry, b.prior.Had):
		return nil // already as it was
	case canonicalHash(m.After, m.After != nil):
	default:
		return &journal.ConflictError{File: m.File, Key: jsonedit.Path{m.Container, m.Name}.String()}
	}
	data := snap.Data
	if !snap.Exists {
		data = emptyDoc(m.Format)
	}
	var put json.RawMessage
	if b.prior.Had {
		put = b.prior.Entry
	}
	out, err := setEntry(m.Format, data, m.Container, m.Name, put)
	if err != nil {
		return fmt.Errorf("%s: %w", m.File, err)
	}
	return lockedfile.WriteFile(m.File, out, opt)
}

// writeOptions is how a client's config file is replaced: its owner kept
// (root installing for a user), through a symlink as the clients
// themselves write it (a dotfiles manager's link stays a link).
func writeOptions(snap *lockedfile.Snapshot, check func() error) lockedfile.WriteOptions {
	return lockedfile.WriteOptions{Expect: snap, BeforeRename: check, KeepOwner: true, Links: lockedfile.FollowSymlinks}
}
