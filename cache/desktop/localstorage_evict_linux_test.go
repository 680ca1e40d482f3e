package desktop

import (
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// evictFiles drops dir's files from the page cache (fsync, then
// POSIX_FADV_DONTNEED), so the next read comes from the disk. It touches only
// these files, never the machine-wide cache. It reports false when the
// kernel refuses.
func evictFiles(dir string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		f, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			return false
		}
		f.Sync()
		err = unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
		f.Close()
		if err != nil {
			return false
		}
	}
	return true
}
