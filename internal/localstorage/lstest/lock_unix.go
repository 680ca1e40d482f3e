//go:build unix

package lstest

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// lockHelperEnv makes the test binary act as a lock holder: it takes the
// fcntl write lock on $MCPMEND_LOCK_HELPER/LOCK exactly as Chromium does
// (classic F_SETLK, whole file), says "locked" and holds it until stdin
// closes.
const lockHelperEnv = "MCPMEND_LOCK_HELPER"

// HoldChromiumLock starts a helper process holding dir's lock and returns its
// PID and a function that makes it exit (also called at the test's end). The
// helper is the test binary itself re-run as its TestLockHolderHelper, so a
// package that calls this must define
//
//	func TestLockHolderHelper(t *testing.T) { lstest.LockHolderHelper(t) }
func HoldChromiumLock(t testing.TB, dir string) (pid int, release func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockHolderHelper$")
	cmd.Env = append(os.Environ(), lockHelperEnv+"="+dir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if strings.TrimSpace(line) != "locked" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("lock helper said %q", line)
	}
	done := false
	release = func() {
		if !done {
			done = true
			stdin.Close()
			cmd.Wait()
		}
	}
	t.Cleanup(release)
	return cmd.Process.Pid, release
}

// LockHolderHelper is the body of a package's TestLockHolderHelper, which
// passes it the test process's stdin and stdout: skipped in a normal run,
// and in the process HoldChromiumLock starts it takes the lock, says
// "locked" on out (the pipe HoldChromiumLock reads), holds it until in
// closes and exits.
func LockHolderHelper(t *testing.T, in io.Reader, out io.Writer) {
	dir := os.Getenv(lockHelperEnv)
	if dir == "" {
		t.Skip("helper process for the locked-database tests")
	}
	f, err := os.OpenFile(filepath.Join(dir, "LOCK"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		fmt.Fprintln(out, "error:", err)
		os.Exit(1)
	}
	lk := unix.Flock_t{Type: unix.F_WRLCK, Whence: io.SeekStart}
	if err := unix.FcntlFlock(f.Fd(), unix.F_SETLK, &lk); err != nil {
		fmt.Fprintln(out, "error:", err)
		os.Exit(1)
	}
	fmt.Fprintln(out, "locked")
	io.Copy(io.Discard, in)
	os.Exit(0)
}
