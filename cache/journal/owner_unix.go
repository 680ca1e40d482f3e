//go:build unix

package journal

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"

	"github.com/mcpmend/mcpmend/internal/lockedfile"
)

// trust says why the journal directory dir may not be read ("" when it may).
// A journal drives writes — a replay or an undo rewrites the files its
// entries name — so it is only accepted from someone who could make those
// writes anyway: the effective user, root, or, for root, the owner of the
// home being repaired (a reset run as root on that home left the journal
// theirs). It must also not be writable by group or others, and must be a
// real directory, not a symlink.
func (j *Journal) trust(dir string) string {
	fi, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return ""
	}
	if err != nil {
		return err.Error()
	}
	if !fi.IsDir() {
		return "not a directory"
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	euid := uint32(os.Geteuid())
	owner := st.Uid
	switch {
	case owner == euid || owner == 0:
	case euid == 0 && j.homeOwner() == int(owner):
	default:
		return fmt.Sprintf("owned by uid %d, not by you (uid %d) or root", owner, euid)
	}
	if perm := fi.Mode().Perm(); perm&0o022 != 0 {
		return fmt.Sprintf("writable by group or others (%v)", perm)
	}
	return ""
}

// homeOwner is the uid owning the home the journal belongs to, -1 when
// unknown.
func (j *Journal) homeOwner() int {
	if j.Home == "" {
		return -1
	}
	fi, err := os.Stat(j.Home)
	if err != nil {
		return -1
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid)
	}
	return -1
}

// giveToHomeOwner makes the journal (and the state directory holding it)
// belong to the home's owner when root writes it for another user's home,
// so that user can undo the reset too. It is best effort: a failure is
// logged, never fatal.
func (j *Journal) giveToHomeOwner() {
	if os.Geteuid() != 0 {
		return
	}
	uid := j.homeOwner()
	if uid <= 0 {
		return
	}
	fi, err := os.Stat(j.Home)
	if err != nil {
		return
	}
	gid := int(fi.Sys().(*syscall.Stat_t).Gid)
	if err := lockedfile.ChownTree(j.stateDir(), uid, gid); err != nil {
		j.Log.Warn("journal: giving the journal to the home's owner", "uid", uid, "err", err)
	}
}
