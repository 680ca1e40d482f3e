package lockedfile

import (
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func treeOf(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		b, _ := os.ReadFile(p)
		out[rel] = string(b)
		return nil
	})
	return out
}

// TestBackupAndRestoreDir is the LevelDB store's safety net: a directory is
// backed up without LOCK, damaged in every way (file changed, added,
// removed), and restored to exactly the backup while LOCK stays untouched.
func TestBackupAndRestoreDir(t *testing.T) {
	db := filepath.Join(t.TempDir(), "leveldb")
	files := map[string]string{"CURRENT": "MANIFEST-000002\n", "MANIFEST-000002": "m", "000003.log": "log", "000005.ldb": "table", "LOCK": "", "sub/x": "nested"}
	for name, body := range files {
		writeFile(t, filepath.Join(db, name), body)
	}
	backup := filepath.Join(t.TempDir(), "backup")
	if err := BackupDir(db, backup, func(rel string) bool { return rel == "LOCK" }); err != nil {
		t.Fatal(err)
	}
	want := treeOf(t, db)
	delete(want, "LOCK")
	if got := treeOf(t, backup); len(got) != len(want) {
		t.Fatalf("backup holds %v, want %v", got, want)
	}
	if fi, _ := os.Stat(filepath.Join(backup, "000005.ldb")); runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("backup file mode %v", fi.Mode().Perm())
	}

	// An edit gone wrong: a table rewritten, a new table, the log gone.
	os.WriteFile(filepath.Join(db, "000005.ldb"), []byte("garbage"), 0o644)
	os.WriteFile(filepath.Join(db, "000007.ldb"), []byte("new"), 0o644)
	os.Remove(filepath.Join(db, "000003.log"))
	lockBefore, _ := os.Stat(filepath.Join(db, "LOCK"))

	keepLock := func(rel string) bool { return rel == "LOCK" }
	for range 2 { // idempotent: a second run after a crash changes nothing more
		if err := RestoreDir(backup, db, keepLock); err != nil {
			t.Fatal(err)
		}
		got := treeOf(t, db)
		delete(got, "LOCK")
		if len(got) != len(want) {
			t.Fatalf("restored %v, want %v", got, want)
		}
		for k, v := range want {
			if got[k] != v {
				t.Fatalf("%s restored as %q, want %q", k, got[k], v)
			}
		}
	}
	if lockAfter, err := os.Stat(filepath.Join(db, "LOCK")); err != nil || !os.SameFile(lockBefore, lockAfter) {
		t.Fatal("RestoreDir replaced or removed LOCK")
	}
}

func TestBackupFileMissingIsNotAnError(t *testing.T) {
	found, err := BackupFile(filepath.Join(t.TempDir(), "absent"), t.TempDir(), "x")
	if err != nil || found {
		t.Fatalf("found=%v err=%v", found, err)
	}
}

func writeFile(t testing.TB, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}
