//go:build unix

package lockedfile

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// keepOwner gives tmp the owner and group of path — or, when path does not
// exist yet or is root's in a user's directory, of the directory it is in —
// when mcpmend runs as root.
// `sudo mcpmend reset` on a user's home must not leave a file there owned by
// root: the program that owns it, running as that user, could no longer read
// it (0600) or keep it (Claude Code would sign the user out). Anyone else
// writes files as their own, as the programs owning them do (only root may
// give a file away; see internal/homeowner for who may write a home at all).
func keepOwner(tmp, path string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	uid, gid, ok := ownerOf(path)
	if du, dg, dok := ownerOf(filepath.Dir(path)); dok && (!ok || uid == 0 && du != 0) {
		// A new file gets its directory's owner; so does a root-owned
		// file in a user's directory — an earlier root run's leftover,
		// which the user's own program cannot use.
		uid, gid, ok = du, dg, true
	}
	if !ok || uid == 0 && gid == os.Getegid() {
		return nil
	}
	if err := os.Chown(tmp, uid, gid); err != nil {
		return fmt.Errorf("keep the owner of %s (uid %d): %w; nothing was written", path, uid, err)
	}
	return nil
}

// ownerOf is the uid and gid of path (following symlinks).
func ownerOf(path string) (uid, gid int, ok bool) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, 0, false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, false
	}
	return int(st.Uid), int(st.Gid), true
}

// InheritOwner gives path, which mcpmend just created (a file or a
// directory), the owner and group of the directory holding it, when mcpmend
// runs as root and that directory belongs to someone else. It is a no-op
// for everyone else, and where files have no Unix owner.
func InheritOwner(path string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	uid, gid, ok := ownerOf(filepath.Dir(path))
	if !ok || uid == 0 {
		return nil
	}
	if err := os.Lchown(path, uid, gid); err != nil {
		return fmt.Errorf("give %s to the owner of its directory (uid %d): %w", path, uid, err)
	}
	return nil
}

// nlink is the number of hard links of the file fi describes.
func nlink(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink)
	}
	return 1
}

// linkOwnerMayWrite reports whether the symlink at link may be written
// through to target. For root the target must belong to the owner of the
// directory holding the link: a user's link must not steer root into
// rewriting another user's or the system's file (a link from ~/.claude.json
// to /etc/… is the user's to make, not root's to follow). Anyone else is
// held to their own rights by the kernel.
func linkOwnerMayWrite(link, target string) (ok bool, linkUID, targetUID int) {
	if os.Geteuid() != 0 {
		return true, 0, 0
	}
	lu, _, lok := ownerOf(filepath.Dir(link))
	tu, _, tok := ownerOf(target)
	return !lok || !tok || lu == tu, lu, tu
}
