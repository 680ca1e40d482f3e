package lockedfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// exchangeWorks reports whether Exchange works in dir's file system.
func exchangeWorks(t *testing.T, dir string) bool {
	t.Helper()
	a, b := filepath.Join(dir, "probe-a"), filepath.Join(dir, "probe-b")
	os.WriteFile(a, nil, 0o600)
	os.WriteFile(b, nil, 0o600)
	defer os.Remove(a)
	defer os.Remove(b)
	err := Exchange(a, b)
	if err != nil && !errors.Is(err, ErrNoExchange) {
		t.Fatalf("exchange probe: %v", err)
	}
	return err == nil
}

func TestExchangeSwapsTwoFiles(t *testing.T) {
	dir := t.TempDir()
	if !exchangeWorks(t, dir) {
		t.Skip("no atomic exchange on this OS or file system")
	}
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	os.WriteFile(a, []byte("A"), 0o600)
	os.WriteFile(b, []byte("B"), 0o644)
	if err := Exchange(a, b); err != nil {
		t.Fatal(err)
	}
	ga, _ := os.ReadFile(a)
	gb, _ := os.ReadFile(b)
	if string(ga) != "B" || string(gb) != "A" {
		t.Fatalf("after exchange a=%q b=%q", ga, gb)
	}
	if err := Exchange(a, filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("exchange with a missing file: %v", err)
	}
	if ga, _ := os.ReadFile(a); string(ga) != "B" {
		t.Fatalf("a failed exchange changed a: %q", ga)
	}
}

// lineMerge treats a file as a set of lines: the lines the owner added
// since base join ours.
func lineMerge(base, theirs, ours Content) ([]byte, error) {
	out := string(ours.Data)
	for _, l := range strings.SplitAfter(string(theirs.Data), "\n") {
		if l != "" && !strings.Contains(string(base.Data), l) && !strings.Contains(out, l) {
			out += l
		}
	}
	return []byte(out), nil
}

func lineComplete(b []byte) bool { return len(b) > 0 && b[len(b)-1] == '\n' }

// unlockedModes runs f with Exchange and with the portable held-file path.
func unlockedModes(t *testing.T, f func(t *testing.T, u Unlocked)) {
	for _, noExchange := range []bool{false, true} {
		name := "exchange"
		if noExchange {
			name = "held"
		}
		t.Run(name, func(t *testing.T) {
			if !noExchange && !exchangeWorks(t, t.TempDir()) {
				t.Skip("no atomic exchange on this OS or file system")
			}
			f(t, Unlocked{Complete: lineComplete, Merge: lineMerge, NoExchange: noExchange})
		})
	}
}

// once runs f the first time only.
func once(f func()) func() error {
	done := false
	return func() error {
		if !done {
			done = true
			f()
		}
		return nil
	}
}

// TestReplaceUnlockedKeepsALastMomentWrite: the owner rewrites the file in
// place (O_TRUNC, write) after the final re-read, right before the rename.
// WriteFile's re-read cannot see it and the rename drops it; ReplaceUnlocked
// finds it in the file it swapped out and merges it.
func TestReplaceUnlockedKeepsALastMomentWrite(t *testing.T) {
	inPlace := func(p string) func() { return func() { os.WriteFile(p, []byte("a\nw\n"), 0o600) } }
	t.Run("WriteFile loses it", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "cache.json")
		os.WriteFile(p, []byte("a\n"), 0o600)
		snap, _ := Read(p)
		if err := WriteFile(p, []byte("b\n"), WriteOptions{Expect: &snap, BeforeRename: once(inPlace(p))}); err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(p); string(got) != "b\n" {
			t.Fatalf("premise: the plain rename was expected to drop the owner's write, file is %q", got)
		}
	})
	unlockedModes(t, func(t *testing.T, u Unlocked) {
		p := filepath.Join(t.TempDir(), "cache.json")
		os.WriteFile(p, []byte("a\n"), 0o600)
		snap, _ := Read(p)
		if err := ReplaceUnlocked(p, snap, []byte("b\n"), WriteOptions{BeforeRename: once(inPlace(p))}, u); err != nil {
			t.Fatal(err)
		}
		assertOnly(t, p, "b\nw\n")
	})
}

// assertOnly checks path's content and that nothing else is left beside it.
func assertOnly(t *testing.T, path, want string) {
	t.Helper()
	if got, _ := os.ReadFile(path); string(got) != want {
		t.Fatalf("file is %q, want %q", got, want)
	}
	if des, _ := os.ReadDir(filepath.Dir(path)); len(des) != 1 {
		t.Fatalf("left beside the file: %v", des)
	}
}

// TestReplaceUnlockedWaitsForATruncatedFile: the owner opened the live file
// with O_TRUNC before the swap and writes it only afterwards; the swapped-out
// file reads empty at first and is waited for, not taken as the owner's
// version.
func TestReplaceUnlockedWaitsForATruncatedFile(t *testing.T) {
	unlockedModes(t, func(t *testing.T, u Unlocked) {
		p := filepath.Join(t.TempDir(), "cache.json")
		os.WriteFile(p, []byte("a\n"), 0o600)
		snap, _ := Read(p)
		done := make(chan struct{})
		truncate := once(func() {
			f, err := os.OpenFile(p, os.O_WRONLY|os.O_TRUNC, 0o600)
			if err != nil {
				t.Error(err)
				close(done)
				return
			}
			go func() {
				defer close(done)
				time.Sleep(30 * time.Millisecond)
				f.Write([]byte("a\nw\n"))
				f.Close()
			}()
		})
		if err := ReplaceUnlocked(p, snap, []byte("b\n"), WriteOptions{BeforeRename: truncate}, u); err != nil {
			t.Fatal(err)
		}
		<-done
		assertOnly(t, p, "b\nw\n")
	})
}

// TestReplaceUnlockedKeepsAReplacedFile: another writer replaces the file by
// rename right before ours; its file is merged, not overwritten.
func TestReplaceUnlockedKeepsAReplacedFile(t *testing.T) {
	unlockedModes(t, func(t *testing.T, u Unlocked) {
		p := filepath.Join(t.TempDir(), "cache.json")
		os.WriteFile(p, []byte("a\n"), 0o600)
		snap, _ := Read(p)
		replace := once(func() {
			os.WriteFile(p+".other", []byte("a\nr\n"), 0o600)
			os.Rename(p+".other", p)
		})
		if err := ReplaceUnlocked(p, snap, []byte("b\n"), WriteOptions{BeforeRename: replace}, u); err != nil {
			t.Fatal(err)
		}
		assertOnly(t, p, "b\nr\n")
	})
}

// TestReplaceUnlockedCreatesWithoutReplacing: the file was absent when the
// edit was planned (an undo putting a deleted cache back) and the owner
// creates it meanwhile: both survive.
func TestReplaceUnlockedCreatesWithoutReplacing(t *testing.T) {
	unlockedModes(t, func(t *testing.T, u Unlocked) {
		p := filepath.Join(t.TempDir(), "cache.json")
		snap, _ := Read(p)
		create := once(func() { os.WriteFile(p, []byte("w\n"), 0o600) })
		if err := ReplaceUnlocked(p, snap, []byte("b\n"), WriteOptions{BeforeRename: create}, u); err != nil {
			t.Fatal(err)
		}
		assertOnly(t, p, "b\nw\n")
	})
}

// TestReplaceUnlockedGivesUpKeepingTheirs: an owner that writes before
// every attempt wins. Nothing it wrote is lost: either its file stays in
// place and the replacement reports a *ChangedError, or the merged version
// is saved beside the file and named.
func TestReplaceUnlockedGivesUpKeepingTheirs(t *testing.T) {
	unlockedModes(t, func(t *testing.T, u Unlocked) {
		p := filepath.Join(t.TempDir(), "cache.json")
		os.WriteFile(p, []byte("a\n"), 0o600)
		snap, _ := Read(p)
		lines := "a\n"
		always := func() error {
			lines += "w" + strconv.Itoa(strings.Count(lines, "\n")) + "\n"
			os.WriteFile(p, []byte(lines), 0o600)
			return nil
		}
		err := ReplaceUnlocked(p, snap, []byte("b\n"), WriteOptions{BeforeRename: always}, u)
		var changed *ChangedError
		kept, _ := filepath.Glob(p + ".mcpmend-unmerged-*")
		switch {
		case errors.As(err, &changed):
			if got, _ := os.ReadFile(p); string(got) != lines || len(kept) != 0 {
				t.Fatalf("refused, but the file is %q (owner wrote %q), kept %v", got, lines, kept)
			}
		case err != nil && len(kept) == 1 && strings.Contains(err.Error(), kept[0]):
			got, _ := os.ReadFile(kept[0])
			for _, l := range strings.SplitAfter(lines[2:], "\n") {
				if !strings.Contains(string(got), l) {
					t.Fatalf("kept %q lacks the owner's %q", got, l)
				}
			}
		default:
			t.Fatalf("err = %v, kept %v", err, kept)
		}
	})
}
