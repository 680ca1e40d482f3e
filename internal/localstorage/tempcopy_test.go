package localstorage

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"
)

// tempCopies lists the read copies in the temp directory tmp.
func tempCopies(t *testing.T, tmp string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(tmp, TempDirPrefix+"*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// A read leaves no copy behind, and the first read of a process clears the
// copies a killed run left — only old ones: a copy another run is reading
// right now stays.
func TestReadLeavesNoCopyAndClearsStaleOnes(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Setenv("TMP", t.TempDir())
	} else {
		t.Setenv("TMPDIR", t.TempDir())
	}
	tmp := os.TempDir()
	old := time.Now().Add(-time.Hour)
	stale := filepath.Join(tmp, TempDirPrefix+"111")
	live := filepath.Join(tmp, TempDirPrefix+"222")
	for _, d := range []string{stale, live} {
		os.MkdirAll(d, 0o700)
		os.WriteFile(filepath.Join(d, "000005.ldb"), []byte("CANARY-token"), 0o600)
	}
	os.Chtimes(stale, old, old)
	cleanOnce = sync.Once{} // as at a process start

	scan, err := ScanDir(context.Background(), copyFixture(t, fixtureDir), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(scan.Leftovers) != 0 {
		t.Errorf("leftover copies: %v", scan.Leftovers)
	}
	got := tempCopies(t, tmp)
	if len(got) != 1 || got[0] != live {
		t.Errorf("temp dir holds %v, want only the live copy %s", got, live)
	}
}

func TestReadCopyIsPrivate(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows has no mode bits: the temp directory is private by its ACL")
	}
	t.Setenv("TMPDIR", t.TempDir())
	var mu sync.Mutex
	var seen os.FileMode
	dir := copyFixture(t, fixtureDir)
	// Look while the copy exists: from inside the classifier, which runs
	// during the read (on several workers for large databases).
	classify := func(_, _ []byte) int {
		mu.Lock()
		defer mu.Unlock()
		if m := tempCopies(t, os.TempDir()); len(m) == 1 && seen == 0 {
			if fi, err := os.Stat(m[0]); err == nil {
				seen = fi.Mode().Perm()
			}
		}
		return 0
	}
	if _, err := ScanDir(context.Background(), dir, classify); err != nil {
		t.Fatal(err)
	}
	if seen != 0o700 {
		t.Errorf("copy directory mode %v, want 0700 (it holds tokens)", seen)
	}
}
