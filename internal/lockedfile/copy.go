package lockedfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// BackupFile copies src into dir under name, 0600 and fsynced (backups hold
// tokens). A missing src is not an error: there is nothing to back up, and
// found is false.
func BackupFile(src, dir, name string) (found bool, err error) {
	data, err := os.ReadFile(src)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("back up %s: %w", src, err)
	}
	if err := WritePrivate(filepath.Join(dir, name), data); err != nil {
		return false, fmt.Errorf("back up %s: %w", src, err)
	}
	return true, nil
}

// BackupDir copies every regular file under src into dst (created 0700;
// files 0600, each fsynced), skipping names for which skip returns true —
// e.g. LevelDB's LOCK. It is the first step of a LevelDB edit.
func BackupDir(src, dst string, skip func(rel string) bool) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("back up %s: %w", src, err)
		}
		rel, _ := filepath.Rel(src, p)
		if rel != "." && skip != nil && skip(rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o700)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		return CopySynced(p, target, 0o600)
	})
}

// RestoreDir makes dst hold exactly the files backed up in backup: each file
// is replaced atomically, and files in dst that the backup does not have are
// removed — except names keep returns true for (e.g. LOCK, whose inode the
// restorer may be holding a lock on). It works in place, so running it again
// after a crash finishes the job.
func RestoreDir(backup, dst string, keep func(rel string) bool) error {
	want := map[string]bool{}
	err := filepath.WalkDir(backup, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(backup, p)
		if d.IsDir() {
			return MkdirAll(filepath.Join(dst, rel), 0o700)
		}
		want[rel] = true
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		// The database's owner replaces its files by rename, never writes
		// through links, and other links to them are mcpmend's own staging
		// copies: replace the name, as it does. The user keeps ownership.
		return WriteFile(filepath.Join(dst, rel), data, WriteOptions{KeepOwner: true, Links: ReplaceName})
	})
	if err != nil {
		return fmt.Errorf("restore %s from %s: %w", dst, backup, err)
	}
	return filepath.WalkDir(dst, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("restore %s: %w", dst, err)
		}
		rel, _ := filepath.Rel(dst, p)
		if d.IsDir() || want[rel] || keep != nil && keep(rel) {
			return nil
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("restore %s: %w", dst, err)
		}
		return nil
	})
}

func CopySynced(src, dst string, perm fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("back up %s: %w", src, err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return fmt.Errorf("back up %s: %w", src, err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("back up %s: %w", src, err)
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return fmt.Errorf("back up %s: %w", src, err)
	}
	return out.Close()
}

// WritePrivate stores a backup file: 0600 (backups hold tokens), atomic.
func WritePrivate(path string, data []byte) error {
	return WriteFile(path, data, WriteOptions{Perm: 0o600})
}

// SyncDir makes the deletions durable where the OS allows syncing
// a directory; elsewhere (Windows) it is a harmless no-op.
func SyncDir(dir string) {
	if f, err := os.Open(dir); err == nil {
		_ = f.Sync()
		f.Close()
	}
}

// Remove deletes the file at path, which another program may own (an
// mcp-remote token file). A file already gone is not an error. On Windows a
// file another program has open is retried for BusyBudget, then reported as
// a *BusyError naming it. Callers sync the directory (SyncDir) once after a
// batch of removals.
func Remove(path string) error {
	err := systemRetrier().do("delete", path, func() error { return os.Remove(path) })
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// RemoveTree deletes a directory tree mcpmend made for itself: a staging
// copy, a check copy, a backup that is no longer needed. It must never be
// given a directory another program owns. os.RemoveAll is tried first; when
// it fails (Go's Windows RemoveAll relies on FileDispositionInformationEx,
// which Wine and some file systems lack) the tree is removed file by file,
// each removal retried while another program — a virus scanner reading a
// fresh copy — holds it. The error names what is left.
func RemoveTree(dir string) error {
	first := os.RemoveAll(dir)
	if first == nil {
		return nil
	}
	if err := removeTree(dir); err != nil {
		return fmt.Errorf("remove %s: %w (first attempt: %v)", dir, err, first)
	}
	return nil
}

// removeTree removes dir depth first with plain deletes.
func removeTree(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if e.IsDir() {
			err = removeTree(p)
		} else {
			err = Remove(p)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return Remove(dir)
}

// OpenAppend opens mcpmend's own log file at path for appending, creating it
// with perm when missing.
func OpenAppend(path string, perm fs.FileMode) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, perm)
	if err == nil {
		_ = InheritOwner(path) // root's log in a user's state directory stays theirs
	}
	return f, err
}
