package localstorage

import (
	"os"
	"path/filepath"
	"testing"
)

// TestDropWholeBackup: a drop cut short after the rename leaves no copy any
// path would use (HasWholeBackup false, RestoreWhole refuses and changes
// nothing, BackupCurrent false so Apply backs up afresh); running it again
// finishes it; the pre-image's digest stays.
func TestDropWholeBackup(t *testing.T) {
	live := copyFixture(t, fixtureDir)
	step := t.TempDir()
	if err := BackupDB(live, step); err != nil {
		t.Fatal(err)
	}
	if !HasWholeBackup(step) || !BackupCurrent(live, step) {
		t.Fatal("no whole backup to start with")
	}
	// Killed right after the rename.
	if err := os.Rename(filepath.Join(step, BackupDBName), filepath.Join(step, droppedDirName)); err != nil {
		t.Fatal(err)
	}
	if HasWholeBackup(step) || BackupCurrent(live, step) {
		t.Fatal("a half-dropped copy still counts as whole")
	}
	before := dirFiles(t, live)
	if err := RestoreWhole(live, step); err == nil {
		t.Fatal("RestoreWhole used a dropped copy")
	}
	if got := dirFiles(t, live); got != before {
		t.Fatal("a refused RestoreWhole changed the database")
	}
	for range 2 { // finishes the drop, then is a no-op
		if err := DropWholeBackup(step); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []string{BackupDBName, droppedDirName} {
		if _, err := os.Stat(filepath.Join(step, n)); !os.IsNotExist(err) {
			t.Errorf("%s left: %v", n, err)
		}
	}
	if _, err := os.Stat(filepath.Join(step, lsBackupDigest)); err != nil {
		t.Errorf("the digest of the pre-image went too: %v", err)
	}
}

// TestRolledBack: an install is rolled back only while CURRENT names the
// manifest it replaced and none of its new files is left.
func TestRolledBack(t *testing.T) {
	live, rec := installOnFixture(t)
	if RolledBack(live, rec) {
		t.Fatal("a committed install counts as rolled back")
	}
	if err := os.WriteFile(filepath.Join(live, "CURRENT"), []byte(rec.OldCurrent+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if RolledBack(live, rec) {
		t.Fatal("rolled back while the install's new files are still there")
	}
	for n := range rec.New {
		os.Remove(filepath.Join(live, n))
	}
	if !RolledBack(live, rec) {
		t.Fatal("CURRENT names the old manifest and no new file is left, yet not rolled back")
	}
	if RolledBack(live, nil) {
		t.Fatal("no record counts as rolled back")
	}
}

// dirFiles is every file name and content in dir, for comparing.
func dirFiles(t *testing.T, dir string) string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	for _, e := range es {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out = append(append(append(out, e.Name()...), 0), b...)
	}
	return string(out)
}
