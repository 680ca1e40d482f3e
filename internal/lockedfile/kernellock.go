package lockedfile

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"time"
)

// KernelLock is a lock the kernel holds for mcpmend's own coordination (the
// journal-entry lock, the apply-pending worker lock): flock(2) on a lock
// file on Unix, LockFileEx on Windows. Unlike a DirLock it never expires
// under a live holder — a holder stopped with SIGSTOP or a laptop asleep
// for an hour still holds it — and the kernel releases it the moment the
// holder dies, however it dies, so there is no stale time to guess. The lock
// file is never removed (unlinking it would let a waiter lock a file
// nobody else sees); it records the holder's pid for messages only.
type KernelLock struct {
	Path  string        // the lock file, created 0600 when missing
	Wait  time.Duration // how long Acquire retries while another process holds it
	Owner string        // who holds such a lock, for messages ("another mcpmend")
}

// HeldError reports a KernelLock another live process holds; nothing was
// changed.
type HeldError struct {
	Path   string
	Owner  string
	PID    int // from the lock file; 0 when unknown
	Waited time.Duration
}

func (e *HeldError) Error() string {
	who := e.Owner
	if who == "" {
		who = "another process"
	}
	if e.PID > 0 {
		who = fmt.Sprintf("%s (pid %d)", who, e.PID)
	}
	return fmt.Sprintf("%s is held by %s (waited %s); the lock is released when that process ends — nothing was changed",
		e.Path, who, e.Waited.Round(time.Millisecond))
}

// KernelHeld is an acquired KernelLock.
type KernelHeld struct {
	path string
	f    *os.File
}

// Acquire takes the lock, retrying with jittered backoff for up to Wait
// while another process holds it. ctx ends the wait early.
func (l KernelLock) Acquire(ctx context.Context) (*KernelHeld, error) {
	start := time.Now()
	delay := 20 * time.Millisecond
	for {
		h, err := l.try()
		if err == nil {
			return h, nil
		}
		if !errors.Is(err, errWouldBlock) {
			return nil, fmt.Errorf("lock %s: %w", l.Path, err)
		}
		waited := time.Since(start)
		if waited >= l.Wait {
			return nil, &HeldError{Path: l.Path, Owner: l.Owner, PID: lockFilePID(l.Path), Waited: waited}
		}
		t := time.NewTimer(min(delay+time.Duration(rand.Int64N(int64(delay))), l.Wait-waited))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("waiting for %s: %w", l.Path, ctx.Err())
		case <-t.C:
		}
		delay = min(delay*2, 500*time.Millisecond)
	}
}

func (l KernelLock) try() (*KernelHeld, error) {
	f, err := os.OpenFile(l.Path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := lockFile(f); err != nil {
		f.Close()
		return nil, err
	}
	_ = InheritOwner(l.Path) // root's lock file in a user's state directory stays theirs
	// The pid is a note for messages; the kernel lock is the truth.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &KernelHeld{path: l.Path, f: f}, nil
}

// lockFilePID reads the pid a holder wrote, 0 when unreadable.
func lockFilePID(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

// Check reports an error when the lock file at the path is no longer the
// file this lock is held on (removed or replaced — say its directory was
// deleted): whatever the holder was about to record there must not be
// written, since nobody else would be excluded by this lock any more.
func (h *KernelHeld) Check() error {
	if h == nil || h.f == nil {
		return &CompromisedError{Path: h.path, Reason: "released"}
	}
	held, err := h.f.Stat()
	if err != nil {
		return &CompromisedError{Path: h.path, Reason: err.Error()}
	}
	now, err := os.Stat(h.path)
	if err != nil || !os.SameFile(held, now) {
		return &CompromisedError{Path: h.path, Reason: "the lock file was removed or replaced"}
	}
	return nil
}

// Release unlocks (closing the descriptor releases the kernel lock). The
// file stays.
func (h *KernelHeld) Release() error {
	if h == nil || h.f == nil {
		return nil
	}
	err := h.f.Close()
	h.f = nil
	return err
}
