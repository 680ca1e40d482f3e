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
	"strconv"
	"time"

	"github.com/mcpmend/mcpmend/cache/journal"
	"github.com/mcpmend/mcpmend/internal/crashpoint"
	"github.com/mcpmend/mcpmend/internal/lockedfile"
)

// KindFileDelete is the journal kind of FileDelete.
const KindFileDelete = "file-delete"

func init() { journal.RegisterSpec[FileDelete](KindFileDelete) }

// FileTarget is one whole file a FileDelete removes.
type FileTarget struct {
	Path   string      `json:"path"`
	Kind   string      `json:"kind,omitempty"`
	Detail string      `json:"detail,omitempty"`
	Hash   string      `json:"sha256"` // of the content when the reset was planned
	Perm   fs.FileMode `json:"perm"`   // the mode an undo gives it back
}

// FileDelete removes whole files that hold one server's memory and nothing
// else — mcp-remote's <hash>_tokens.json, _client_info.json and sign-in
// files. Several files cannot be removed in one atomic step, so Verify
// reports a half-done deletion as an error: the journal then restores the
// removed files from the backup, and the store ends fully old or fully new.
type FileDelete struct {
	StoreName string       `json:"store"`
	Targets   []FileTarget `json:"targets"`
}

// PlanFileDelete plans removing the files that exist now, recording each
// one's hash and mode; missing files are left out.
func PlanFileDelete(store string, targets []FileTarget) (*FileDelete, error) {
	m := &FileDelete{StoreName: store}
	for _, t := range targets {
		snap, err := lockedfile.Read(t.Path)
		if err != nil {
			return nil, err
		}
		if !snap.Exists {
			continue
		}
		t.Hash, t.Perm = HashBytes(snap.Data), snap.Mode
		m.Targets = append(m.Targets, t)
	}
	return m, nil
}

// Store implements journal.Mutation.
func (m *FileDelete) Store() string { return m.StoreName }

// Kind implements journal.Mutation.
func (m *FileDelete) Kind() string { return KindFileDelete }

// Spec implements journal.Mutation: paths, hashes and modes, never content.
func (m *FileDelete) Spec() (json.RawMessage, error) { return json.Marshal(m) }

// Describe implements journal.Mutation.
func (m *FileDelete) Describe() []journal.Change {
	out := make([]journal.Change, 0, len(m.Targets))
	for _, t := range m.Targets {
		out = append(out, journal.Change{Store: m.StoreName, File: t.Path, Key: filepath.Base(t.Path), Kind: t.Kind, Action: "delete", Detail: t.Detail})
	}
	return out
}

// Blocked implements journal.Mutation: plain files are never locked.
func (m *FileDelete) Blocked(context.Context) (string, bool) { return "", false }

// backupName is where target i is saved inside the step's backup directory.
func backupName(i int) string { return "file-" + strconv.Itoa(i) }

// fileState is what a target's path holds now.
type fileState int

const (
	filePlanned fileState = iota // the content the reset planned to remove
	fileGone                     // absent
	fileOther                    // something else (the owner wrote it since)
)

func (t FileTarget) state() (fileState, []byte, error) {
	snap, err := lockedfile.Read(t.Path)
	switch {
	case err != nil:
		return 0, nil, err
	case !snap.Exists:
		return fileGone, nil, nil
	case HashBytes(snap.Data) == t.Hash:
		return filePlanned, snap.Data, nil
	}
	return fileOther, snap.Data, nil
}

// Backup implements journal.Mutation: each target that still holds its planned
// content, byte for byte.
func (m *FileDelete) Backup(_ context.Context, dir string) error {
	for i, t := range m.Targets {
		st, data, err := t.state()
		if err != nil {
			return err
		}
		if st == filePlanned {
			if err := lockedfile.WritePrivate(filepath.Join(dir, backupName(i)), data); err != nil {
				return fmt.Errorf("back up %s: %w", t.Path, err)
			}
		}
	}
	return nil
}

// Apply implements journal.Mutation: it checks every file first and refuses, deleting
// nothing, if one was rewritten since planning. Then it moves every planned
// file aside (lockedfile.Quarantine) and looks at what it moved: only when
// each is still the planned content are they removed; otherwise all go back
// (a newer file the owner wrote meanwhile is never replaced) and the reset
// is refused. A sign-in written between the check and the move is thus
// never deleted.
func (m *FileDelete) Apply(_ context.Context, dir string) error {
	if err := m.recoverQuarantined(); err != nil {
		return err
	}
	var doomed []int
	for i, t := range m.Targets {
		st, _, err := t.state()
		if err != nil {
			return err
		}
		switch st {
		case fileOther:
			return &lockedfile.ChangedError{Path: t.Path, What: "it was rewritten since the reset was planned"}
		case filePlanned:
			if _, err := os.Stat(filepath.Join(dir, backupName(i))); err != nil {
				return fmt.Errorf("%s has no backup; nothing was deleted: %w", t.Path, err)
			}
			doomed = append(doomed, i)
		}
	}
	var moved []*lockedfile.Quarantined
	putBack := func(cause error) error {
		var errs []error
		for _, q := range moved {
			if err := q.Unquarantine(); err != nil {
				errs = append(errs, fmt.Errorf("putting back %s: %w (it is at %s)", q.Path, err, q.Name))
			}
		}
		return errors.Join(append([]error{cause}, errs...)...)
	}
	for _, i := range doomed {
		t := m.Targets[i]
		q, err := lockedfile.Quarantine(t.Path)
		if err != nil {
			return putBack(err)
		}
		if q == nil {
			continue // removed meanwhile: nothing of ours is left there
		}
		moved = append(moved, q)
		if HashBytes(q.Data) != t.Hash {
			return putBack(&lockedfile.ChangedError{Path: t.Path, What: "it was rewritten while the reset ran (put back as it was)"})
		}
	}
	// A writer whose truncating open had looked the path up just before the
	// move truncates and writes the moved file a moment later: look again
	// after that moment, and put everything back if it changed.
	time.Sleep(quarantineSettle)
	for _, q := range moved {
		if now, err := os.ReadFile(q.Name); err != nil || !bytes.Equal(now, q.Data) {
			return putBack(&lockedfile.ChangedError{Path: q.Path, What: "it was written while the reset moved it (put back)"})
		}
	}
	for n, q := range moved {
		if n == 1 {
			crashpoint.Hit("file-delete-midway")
		}
		if err := q.Discard(); err != nil {
			return putBack(fmt.Errorf("delete %s: %w", q.Path, err))
		}
	}
	return nil
}

// Verify implements journal.Mutation: applied when no target holds its planned
// content any more; not applied when none was deleted; an error when some
// were deleted and some not (a crash between two deletes), so the journal
// restores the deleted ones.
//
// Files a crashed Apply had moved aside are put back first, so they count
// as not deleted.
func (m *FileDelete) Verify(context.Context, string) (bool, error) {
	if err := m.recoverQuarantined(); err != nil {
		return false, err
	}
	var left, gone int
	for _, t := range m.Targets {
		st, _, err := t.state()
		if err != nil {
			return false, err
		}
		switch st {
		case filePlanned:
			left++
		case fileGone:
			gone++
		}
	}
	switch {
	case left == 0:
		return true, nil
	case gone == 0:
		return false, nil
	}
	return false, fmt.Errorf("%d of %d files were deleted and %d not: the deletion was interrupted", gone, len(m.Targets), left)
}

// Restore implements journal.Mutation: every backed-up file that is absent is
// written back with its content and mode. A file present with other content
// (written by its owner since, e.g. a new sign-in) makes it refuse with a
// *ConflictError before anything is written.
func (m *FileDelete) Restore(_ context.Context, dir string) error {
	if err := m.recoverQuarantined(); err != nil {
		return err
	}
	type put struct {
		t    FileTarget
		data []byte
	}
	var todo []put
	for i, t := range m.Targets {
		data, err := os.ReadFile(filepath.Join(dir, backupName(i)))
		if errors.Is(err, fs.ErrNotExist) {
			continue // not backed up, so never deleted
		}
		if err != nil {
			return fmt.Errorf("read backup of %s: %w", t.Path, err)
		}
		st, cur, err := t.state()
		if err != nil {
			return err
		}
		switch {
		case st == fileGone:
			todo = append(todo, put{t, data})
		case HashBytes(cur) != HashBytes(data):
			return &journal.ConflictError{File: t.Path, Key: filepath.Base(t.Path)}
		}
	}
	// Published only where nothing is: a sign-in written since the check
	// above is never overwritten (lockedfile.Publish).
	for _, p := range todo {
		perm := p.t.Perm & 0o666 // never executable or special, whatever the spec says
		if perm == 0 {
			perm = 0o600
		}
		err := lockedfile.Publish(p.t.Path, p.data, perm)
		if errors.Is(err, fs.ErrExist) {
			if st, cur, serr := p.t.state(); serr == nil && st != fileGone && HashBytes(cur) == HashBytes(p.data) {
				continue // already back
			}
			return &journal.ConflictError{File: p.t.Path, Key: filepath.Base(p.t.Path)}
		}
		if err != nil {
			return fmt.Errorf("restore %s: %w", p.t.Path, err)
		}
	}
	return nil
}

// quarantineSettle is how long Apply waits before looking at moved files a
// second time.
const quarantineSettle = 5 * time.Millisecond

// recoverQuarantined puts back what a crashed Apply moved aside and did not
// get to look at or discard (see lockedfile.RecoverQuarantined).
func (m *FileDelete) recoverQuarantined() error {
	var errs []error
	for _, t := range m.Targets {
		errs = append(errs, lockedfile.RecoverQuarantined(t.Path))
	}
	return errors.Join(errs...)
}
