//go:build unix

package cache

import (
	"testing"

	"golang.org/x/sys/unix"
)

// assertOwnSession checks that pid leads its own session (Setsid), unlike
// this test process's children.
func assertOwnSession(t *testing.T, pid int) {
	t.Helper()
	sid, err := unix.Getsid(pid)
	if err != nil {
		t.Fatalf("getsid %d: %v", pid, err)
	}
	mine, _ := unix.Getsid(0)
	if sid != pid || sid == mine {
		t.Fatalf("worker %d is in session %d (ours %d), want its own", pid, sid, mine)
	}
}
