package mutation

import (
	"time"

	"github.com/mcpmend/mcpmend/internal/lockedfile"
)

// StorageLockStale is how long Claude Code's .storage-write.lock may go
// without refresh before another writer takes it over (`stale: 15000` in the
// bundled CLI, 2.1.328).
const StorageLockStale = 15 * time.Second

// LockSpec is a DirLock as the journal stores it. It never sets OwnerFile:
// these are Claude Code's locks (proper-lockfile), whose whole protocol is a
// bare directory and its mtime — an empty directory is how a live Claude
// Code holds them, and one left by a killed holder is stale only after the
// stale time, as Claude Code itself judges it (see lockedfile.ownerGrace).
type LockSpec struct {
	Path  string        `json:"path"`
	Stale time.Duration `json:"stale"`
	Wait  time.Duration `json:"wait,omitempty"`
	Owner string        `json:"owner,omitempty"`
}

func SpecOfLock(l *lockedfile.DirLock) *LockSpec {
	if l == nil {
		return nil
	}
	return &LockSpec{Path: l.Path, Stale: l.Stale, Wait: l.Wait, Owner: l.Owner}
}

func (s *LockSpec) lock() *lockedfile.DirLock {
	if s == nil {
		return nil
	}
	return &lockedfile.DirLock{Path: s.Path, Stale: s.Stale, Wait: s.Wait, Owner: s.Owner}
}
