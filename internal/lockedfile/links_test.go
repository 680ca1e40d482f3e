package lockedfile

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func symlinkOrSkip(t *testing.T, target, name string) {
	t.Helper()
	if err := os.Symlink(target, name); err != nil {
		t.Skipf("no symlinks here: %v", err)
	}
}

// TestWriteFileThroughSymlink: under FollowSymlinks the link stays a link
// and its target gets the new content, keeping the target's mode.
func TestWriteFileThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	dot := filepath.Join(dir, "dotfiles", "claude.json")
	os.MkdirAll(filepath.Dir(dot), 0o755)
	if err := os.WriteFile(dot, []byte("{}"), 0o640); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, ".claude.json")
	symlinkOrSkip(t, "dotfiles/claude.json", link)
	if err := WriteFile(link, []byte(`{"a":1}`), WriteOptions{Links: FollowSymlinks}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v %v", fi.Mode(), err)
	}
	got, _ := os.ReadFile(dot)
	if string(got) != `{"a":1}` {
		t.Fatalf("target holds %q", got)
	}
	if fi, _ := os.Stat(dot); hasModes && fi.Mode().Perm() != 0o640 {
		t.Errorf("target mode %v, want 0640", fi.Mode().Perm())
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".claude.json.tmp.*")); len(left) > 0 {
		t.Errorf("temp files beside the link: %v", left)
	}
}

// TestWriteFileRefusesLinks: by default a symlink (live or dangling) and a
// hard-linked file are refused with a *LinkError and nothing changes.
func TestWriteFileRefusesLinks(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "creds.json")
	os.WriteFile(target, []byte("{}"), 0o600)
	link := filepath.Join(dir, ".credentials.json")
	symlinkOrSkip(t, target, link)
	dangling := filepath.Join(dir, "dangling.json")
	os.Symlink(filepath.Join(dir, "nowhere"), dangling)
	cases := map[string]string{link: "is a symlink to " + target, dangling: "target does not exist"}
	if runtime.GOOS != "windows" {
		hard := filepath.Join(dir, "hard.json")
		if err := os.Link(target, hard); err != nil {
			t.Fatal(err)
		}
		cases[hard] = "has 2 hard links"
	}
	for p, want := range cases {
		for _, links := range []Links{RefuseLinks, FollowSymlinks} {
			if p == link && links == FollowSymlinks {
				continue
			}
			err := WriteFile(p, []byte(`{"x":1}`), WriteOptions{Links: links})
			var le *LinkError
			if !errors.As(err, &le) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "nothing was written") {
				t.Errorf("%s (links %d): %v, want a LinkError saying %q", filepath.Base(p), links, err, want)
			}
		}
	}
	if got, _ := os.ReadFile(target); string(got) != "{}" {
		t.Fatalf("the target changed: %q", got)
	}
	if fi, _ := os.Lstat(link); fi.Mode()&os.ModeSymlink == 0 {
		t.Fatal("the link was replaced")
	}
}

// TestQuarantineRefusesLinks: a file delete never removes one name of a
// linked file.
func TestQuarantineRefusesLinks(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "tokens.json")
	os.WriteFile(target, []byte("{}"), 0o600)
	link := filepath.Join(dir, "abc_tokens.json")
	symlinkOrSkip(t, target, link)
	paths := []string{link}
	if runtime.GOOS != "windows" {
		hard := filepath.Join(dir, "def_tokens.json")
		os.Link(target, hard)
		paths = append(paths, hard)
	}
	for _, p := range paths {
		q, err := Quarantine(p)
		var le *LinkError
		if q != nil || !errors.As(err, &le) {
			t.Errorf("Quarantine(%s) = %v, %v; want a LinkError", filepath.Base(p), q, err)
		}
		if _, err := os.Lstat(p); err != nil {
			t.Errorf("%s moved: %v", p, err)
		}
	}
}
