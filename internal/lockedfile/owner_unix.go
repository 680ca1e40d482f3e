//go:build unix

package lockedfile

import (
	"fmt"
	"os"
	"syscall"
)

// keepOwner gives tmp the owner and group of path, when path exists and
// belongs to someone else: `sudo mcpmend install` must not leave a user's
// config file owned by root, unreadable to the client that owns it.
func keepOwner(tmp, path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return nil // a new file: ours
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || (int(st.Uid) == os.Geteuid() && int(st.Gid) == os.Getegid()) {
		return nil
	}
	if err := os.Chown(tmp, int(st.Uid), int(st.Gid)); err != nil {
		return fmt.Errorf("keep the owner of %s (uid %d): %w", path, st.Uid, err)
	}
	return nil
}
