//go:build unix

package lockedfile

import (
	"io/fs"
	"os"
	"path/filepath"
)

// ChownTree gives root and everything under it to uid:gid, without
// following symlinks: what root runs on another user's behalf stays theirs.
func ChownTree(root string, uid, gid int) error {
	return filepath.WalkDir(root, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
}
