package cache

import (
	"path/filepath"
	"time"

	"github.com/mcpmend/mcpmend/internal/lockedfile"
	"github.com/mcpmend/mcpmend/registry"
)

// StorageLockStale is how long Claude Code's .storage-write.lock may go
// without refresh before another writer takes it over (`stale: 15000` in the
// bundled CLI, 2.1.328).
const StorageLockStale = 15 * time.Second

// CredentialsLock is the lock Claude Code takes before writing
// .credentials.json: proper-lockfile on "<secure storage dir>/.storage-write",
// i.e. the directory "<dir>/.storage-write.lock", where dir is the directory
// of CredentialsFile ($CLAUDE_SECURESTORAGE_CONFIG_DIR, else the config
// home). Claude Code retries it 10 times (100 ms–1 s); we wait up to its
// stale time, then refuse.
func CredentialsLock(env registry.Env) lockedfile.DirLock {
	return lockedfile.DirLock{
		Path:  filepath.Join(filepath.Dir(CredentialsFile(env)), ".storage-write.lock"),
		Stale: StorageLockStale,
		Owner: "Claude Code (writing its credentials)",
	}
}

// lockSpec is a DirLock as the journal stores it.
type lockSpec struct {
	Path  string        `json:"path"`
	Stale time.Duration `json:"stale"`
	Wait  time.Duration `json:"wait,omitempty"`
	Owner string        `json:"owner,omitempty"`
}

func specOfLock(l *lockedfile.DirLock) *lockSpec {
	if l == nil {
		return nil
	}
	return &lockSpec{Path: l.Path, Stale: l.Stale, Wait: l.Wait, Owner: l.Owner}
}

func (s *lockSpec) lock() *lockedfile.DirLock {
	if s == nil {
		return nil
	}
	return &lockedfile.DirLock{Path: s.Path, Stale: s.Stale, Wait: s.Wait, Owner: s.Owner}
}
