package installer

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
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

// Backup files inside the step's backup directory.
const (
	bkOriginal = "original"       // the whole file before Apply
	bkAbsent   = "absent"         // marker: there was no file
	bkApplied  = "applied.sha256" // hash of what Apply wrote
)

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

// Backup implements journal.Mutation: the whole file, or a note that there
// was none.
func (m *EntryChange) Backup(_ context.Context, dir string) error {
	snap, err := lockedfile.Read(m.File)
	if err != nil {
		return err
	}
	if !snap.Exists {
		return writePrivate(filepath.Join(dir, bkAbsent), nil)
	}
	return writePrivate(filepath.Join(dir, bkOriginal), snap.Data)
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
	if err := writePrivate(filepath.Join(dir, bkApplied), []byte(hex.EncodeToString(sum(out)))); err != nil {
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
	orig, origErr := os.ReadFile(filepath.Join(dir, bkOriginal))
	_, absentErr := os.Stat(filepath.Join(dir, bkAbsent))
	if origErr != nil && absentErr != nil {
		return errors.New("no backup of " + m.File + " in " + dir)
	}
	opt := writeOptions(&snap, check)
	if applied, err := os.ReadFile(filepath.Join(dir, bkApplied)); err == nil && snap.Exists && string(applied) == hex.EncodeToString(sum(snap.Data)) {
		if origErr == nil {
			return lockedfile.WriteFile(m.File, orig, opt)
		}
		if err := snap.Unchanged(); err != nil {
			return err
		}
		if err := lockedfile.Remove(m.File); err != nil {
			return fmt.Errorf("remove %s, which install created: %w", m.File, err)
		}
		return nil
	}
	var before json.RawMessage
	hadBefore := false
	if origErr == nil {
		if before, hadBefore, err = getEntry(m.Format, orig, m.Container, m.Name); err != nil {
			return fmt.Errorf("backup of %s: %w", m.File, err)
		}
	}
	switch canonicalHash(cur, ok) {
	case canonicalHash(before, hadBefore):
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
	if hadBefore {
		put = before
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
