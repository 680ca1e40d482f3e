package journal

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/mcpmend/mcpmend/internal/lockedfile"
)

// Entry ids are "<UTC second>-<sequence>": the sequence is one more than
// the highest of that second, and the directory is created with a plain
// mkdir, so two processes starting resets in the same second get distinct,
// ordered ids. Sorting ids sorts resets by when they began.

const idSeqDigits = 6

// reserve creates the directory of a new entry begun at now and returns its id.
func (j *Journal) reserve(now time.Time) (string, error) {
	if err := lockedfile.MkdirAll(j.Dir, 0o700); err != nil {
		return "", fmt.Errorf("journal: %w", err)
	}
	sec := now.Format("20060102T150405Z") + "-"
	des, err := os.ReadDir(j.Dir)
	if err != nil {
		return "", fmt.Errorf("journal: %w", err)
	}
	next := 1
	for _, d := range des {
		if rest, ok := strings.CutPrefix(d.Name(), sec); ok && len(rest) == idSeqDigits {
			if n, err := strconv.Atoi(rest); err == nil && n >= next {
				next = n + 1
			}
		}
	}
	for ; ; next++ {
		id := fmt.Sprintf("%s%0*d", sec, idSeqDigits, next)
		err := os.Mkdir(filepath.Join(j.Dir, id), 0o700)
		if err == nil {
			return id, lockedfile.InheritOwner(filepath.Join(j.Dir, id))
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", fmt.Errorf("journal: %w", err)
		}
	}
}

// OrderError refuses to undo a reset while a later one that touched the
// same records is still applied: undoing the older first would put back a
// value the newer one removed, and the newer could then never be undone.
type OrderError struct {
	ID, Later string
	Change    Change
}

func (e *OrderError) Error() string {
	return fmt.Sprintf("cannot undo %s yet: the later reset %s also changed %s in %s and is still applied — undo the NEWER one first (mcpmend undo %s); nothing was changed",
		e.ID, e.Later, e.Change.Key, e.Change.File, e.Later)
}

// laterOverlap finds a later entry, still applied in part, that changed a
// record e's applied steps changed.
func (j *Journal) laterOverlap(e *Entry) error {
	all, err := j.List()
	if err != nil {
		return err
	}
	for _, later := range all {
		if later.ID <= e.ID {
			continue
		}
		for _, ls := range later.Steps {
			if ls.Status != StatusApplied && ls.Phase == "" {
				continue
			}
			for _, s := range e.Steps {
				if s.Status != StatusApplied && s.Phase == "" {
					continue
				}
				if c, ok := overlap(s.Changes, ls.Changes); ok {
					return &OrderError{ID: e.ID, Later: later.ID, Change: c}
				}
			}
		}
	}
	return nil
}

// overlap reports a record both lists change: the same store and file, and
// keys equal or one inside the other.
func overlap(a, b []Change) (Change, bool) {
	for _, x := range a {
		for _, y := range b {
			if x.Store == y.Store && x.File == y.File && (strings.HasPrefix(x.Key, y.Key) || strings.HasPrefix(y.Key, x.Key)) {
				return x, true
			}
		}
	}
	return Change{}, false
}
