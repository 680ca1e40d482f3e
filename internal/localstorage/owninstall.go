package localstorage

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Whose damage is it (doc.go, "Undo")? A database that fails the strict read
// after an install may be replaced by the whole backup only while it is
// provably still what the install left: the app has not written a byte
// since, so the replacement throws nothing of the owner's away.

// fileSums turns an install's staged digests (name → sha256) into the
// record of what it installs, with sizes and CURRENT.
func fileSums(stage string, digests map[string]string) (map[string]FileSum, error) {
	out := make(map[string]FileSum, len(digests)+1)
	cur, err := fileHash(filepath.Join(stage, "CURRENT"))
	if err != nil {
		return nil, err
	}
	names := map[string]string{"CURRENT": cur}
	for n, h := range digests {
		names[n] = h
	}
	for n, h := range names {
		fi, err := os.Stat(filepath.Join(stage, n))
		if err != nil {
			return nil, fmt.Errorf("staging copy: %w", err)
		}
		out[n] = FileSum{Size: fi.Size(), SHA256: h}
	}
	return out, nil
}

// BackupDir is the directory holding the database as it was before the
// install, inside step (the directory the record sits beside). The record is
// data: a backup it names outside step is refused.
func (rec *InstallRecord) BackupDir(step string) (string, error) {
	if rec == nil || !filepath.IsLocal(rec.Backup) {
		return "", fmt.Errorf("the install record beside %s names no backup inside it", step)
	}
	return filepath.Join(step, rec.Backup), nil
}

// OwnInstall reports whether live is still exactly what the install rec
// describes left: CURRENT names the manifest it installed, every file it
// installed has the recorded size and hash, and no manifest, log or table
// is newer than them. Otherwise it says what it found instead.
func OwnInstall(live string, rec *InstallRecord) (why string, ours bool) {
	if rec == nil || len(rec.Installed) == 0 || !filepath.IsLocal(rec.Backup) {
		return "no record of the files an install of mcpmend left there", false
	}
	cur, err := readCurrent(live)
	if err != nil {
		return err.Error(), false
	}
	if cur != rec.NewCurrent {
		return fmt.Sprintf("CURRENT names %s, not %s that mcpmend installed", cur, rec.NewCurrent), false
	}
	for _, n := range sortedSums(rec.Installed) {
		if why := changedFile(filepath.Join(live, n), rec.Installed[n]); why != "" {
			return n + " " + why, false
		}
	}
	return newerFile(live, rec.Installed)
}

// changedFile says how the file at p differs from want ("" when it does not).
func changedFile(p string, want FileSum) string {
	fi, err := os.Stat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "that mcpmend installed is gone"
	case err != nil:
		return "cannot be checked: " + err.Error()
	case fi.Size() != want.Size:
		return fmt.Sprintf("changed since mcpmend installed it (%d bytes, %d then)", fi.Size(), want.Size)
	}
	if h, err := fileHash(p); err != nil || h != want.SHA256 {
		return "changed since mcpmend installed it"
	}
	return ""
}

// newerFile finds a manifest, log or table in live numbered above every
// installed file: one the app wrote after the install.
func newerFile(live string, installed map[string]FileSum) (string, bool) {
	var top int64 = -1
	for n := range installed {
		if num, ok := fileNum(n); ok {
			top = max(top, num)
		}
	}
	entries, err := os.ReadDir(live)
	if err != nil {
		return fmt.Sprintf("list %s: %v", live, err), false
	}
	for _, e := range entries {
		n := e.Name()
		if _, mine := installed[n]; mine || !dbFile(n) {
			continue
		}
		if num, ok := fileNum(n); ok && num > top {
			return n + " is newer than mcpmend's install", false
		}
	}
	return "", true
}

// fileNum is the number in a LevelDB file name: MANIFEST-000005, 000012.log.
func fileNum(name string) (int64, bool) {
	s := strings.TrimPrefix(name, "MANIFEST-")
	if s == name {
		s = strings.TrimSuffix(s, filepath.Ext(s))
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

func sortedSums(m map[string]FileSum) []string {
	names := make(map[string]string, len(m))
	for n := range m {
		names[n] = ""
	}
	return sortedNames(names)
}
