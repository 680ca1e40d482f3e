//go:build windows

package lockedfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/windows"
)

// holdOpen opens path the way an antivirus scanner or editor does: reading
// and writing shared, deletion (and so a rename over it) not.
func holdOpen(t *testing.T, path string) windows.Handle {
	t.Helper()
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		t.Fatal(err)
	}
	h, err := windows.CreateFile(p, windows.GENERIC_READ, windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE, nil,
		windows.OPEN_EXISTING, windows.FILE_ATTRIBUTE_NORMAL, 0)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestWriteFileWaitsForAProgramHoldingTheFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), ".claude.json")
	if err := os.WriteFile(p, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	h := holdOpen(t, p)
	go func() { time.Sleep(300 * time.Millisecond); windows.CloseHandle(h) }()
	if err := WriteFile(p, []byte("new"), WriteOptions{}); err != nil {
		t.Fatalf("replace while held for 300ms: %v", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "new" {
		t.Errorf("content %q, want new", b)
	}
	assertNoTemps(t, p)
}

func TestWriteFileNamesAFileHeldTooLong(t *testing.T) {
	p := filepath.Join(t.TempDir(), ".claude.json")
	if err := os.WriteFile(p, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	h := holdOpen(t, p)
	defer windows.CloseHandle(h)
	err := WriteFile(p, []byte("new"), WriteOptions{})
	var busy *BusyError
	if !errors.As(err, &busy) || busy.Path != p {
		t.Fatalf("err = %v, want a BusyError naming %s", err, p)
	}
	if busy.Waited < BusyBudget {
		t.Errorf("gave up after %v, before the %v budget", busy.Waited, BusyBudget)
	}
	windows.CloseHandle(h)
	if b, _ := os.ReadFile(p); string(b) != "old" {
		t.Errorf("content %q after a refused replace, want old", b)
	}
	assertNoTemps(t, p)
}

func TestRemoveWaitsForAProgramHoldingTheFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "abc_tokens.json")
	if err := os.WriteFile(p, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	h := holdOpen(t, p)
	go func() { time.Sleep(300 * time.Millisecond); windows.CloseHandle(h) }()
	if err := Remove(p); err != nil {
		t.Fatalf("remove while held for 300ms: %v", err)
	}
	if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("file still there: %v", err)
	}
}
