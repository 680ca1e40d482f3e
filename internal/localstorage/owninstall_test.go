package localstorage

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// installOnFixture installs an edit of the fixture (one row put) with the
// real Install and returns the live directory and the install record.
func installOnFixture(t *testing.T) (string, *InstallRecord) {
	t.Helper()
	live := copyFixture(t, fixtureDir)
	work := t.TempDir()
	step := filepath.Join(work, "step")
	if err := os.MkdirAll(step, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := BackupDB(live, step); err != nil {
		t.Fatal(err)
	}
	stage := filepath.Join(work, StageDirName)
	if err := CopyDB(live, stage, nil); err != nil {
		t.Fatal(err)
	}
	op := Op{Key: ItemRowKey("https://claude.ai", "k"), Value: EncodeString("v")}
	if err := EditStage(stage, []Op{op}); err != nil {
		t.Fatal(err)
	}
	recPath := step + InstallExt
	if err := Install(live, stage, recPath, step); err != nil {
		t.Fatal(err)
	}
	rec, err := ReadRecord(recPath)
	if b, _ := rec.BackupDir(step); err != nil || rec == nil || b != step || rec.Installed["CURRENT"].SHA256 == "" {
		t.Fatalf("record %+v %v", rec, err)
	}
	return live, rec
}

// TestOwnInstall: only a database exactly as the install left it — CURRENT,
// every installed file's size and hash, nothing newer — is mcpmend's own.
func TestOwnInstall(t *testing.T) {
	firstOf := func(dir, glob string) string {
		ps, _ := filepath.Glob(filepath.Join(dir, glob))
		if len(ps) == 0 {
			t.Fatalf("no %s in %s", glob, dir)
		}
		return ps[0]
	}
	cases := []struct {
		name   string
		change func(live string)
		want   string // "" when still ours
	}{
		{"as installed", func(string) {}, ""},
		{"an older leftover", func(live string) { os.WriteFile(filepath.Join(live, "000001.log"), []byte("x"), 0o644) }, ""},
		{"CURRENT names another manifest", func(live string) {
			os.WriteFile(filepath.Join(live, "CURRENT"), []byte("MANIFEST-999999\n"), 0o644)
		}, "CURRENT names MANIFEST-999999"},
		{"log appended to", func(live string) {
			f, _ := os.OpenFile(firstOf(live, "*.log"), os.O_APPEND|os.O_WRONLY, 0)
			f.Write([]byte("more"))
			f.Close()
		}, "bytes, "},
		{"table rewritten in place", func(live string) {
			p := firstOf(live, "*.ldb")
			b, _ := os.ReadFile(p)
			b[len(b)/2] ^= 1
			os.WriteFile(p, b, 0o644)
		}, "changed since mcpmend installed it"},
		{"table gone", func(live string) { os.Remove(firstOf(live, "*.ldb")) }, "is gone"},
		{"a newer log", func(live string) { os.WriteFile(filepath.Join(live, "999999.log"), nil, 0o644) }, "999999.log is newer"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			live, rec := installOnFixture(t)
			c.change(live)
			why, ours := OwnInstall(live, rec)
			if ours != (c.want == "") || !strings.Contains(why, c.want) {
				t.Fatalf("OwnInstall = %v %q, want %q", ours, why, c.want)
			}
		})
	}
	if _, ours := OwnInstall(t.TempDir(), nil); ours {
		t.Fatal("no record is ours")
	}
	live, rec := installOnFixture(t)
	for _, b := range []string{"../elsewhere", "/tmp/planted", ""} {
		rec.Backup = b // a planted record naming a backup outside the step
		if _, ours := OwnInstall(live, rec); ours {
			t.Fatalf("a record naming backup %q is ours", b)
		}
		if _, err := rec.BackupDir("/step"); err == nil {
			t.Fatalf("backup %q resolves", b)
		}
	}
	rec.Backup = "."
	rec.Installed = nil // a record written before installs recorded their files
	if why, ours := OwnInstall(live, rec); ours || !strings.Contains(why, "no record") {
		t.Fatalf("an old record: %v %q", ours, why)
	}
}
