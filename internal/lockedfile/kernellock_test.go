package lockedfile

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestKernelLockExcludesAndNeverExpires: a second open waits its Wait and
// gets a HeldError naming the holder's pid however old the lock is; Release
// frees it; Check notices the lock file being removed.
func TestKernelLockExcludesAndNeverExpires(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.lock")
	l := KernelLock{Path: path, Wait: 50 * time.Millisecond, Owner: "test"}
	h, err := l.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	os.Chtimes(path, old, old) // age means nothing to a kernel lock
	_, err = l.Acquire(context.Background())
	var he *HeldError
	if !errors.As(err, &he) || he.PID != os.Getpid() {
		t.Fatalf("second acquire: %v", err)
	}
	if err := h.Check(); err != nil {
		t.Fatal(err)
	}
	if err := h.Release(); err != nil {
		t.Fatal(err)
	}
	h2, err := l.Acquire(context.Background())
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	os.Remove(path)
	var ce *CompromisedError
	if err := h2.Check(); !errors.As(err, &ce) {
		t.Fatalf("Check after the lock file was removed: %v", err)
	}
	h2.Release()
}
