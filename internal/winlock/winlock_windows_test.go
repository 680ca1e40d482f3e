//go:build windows

package winlock

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/windows"
)

// The test binary doubles as "Chromium": with WINLOCK_HOLD set it locks the
// file the way base::File::Lock does (its own open, read-write, sharing read
// and write; LockFileEx exclusive over every byte), says "locked", and holds
// it until stdin closes.
func TestMain(m *testing.M) {
	if p := os.Getenv("WINLOCK_HOLD"); p != "" {
		os.Exit(holdLikeChromium(p))
	}
	os.Exit(m.Run())
}

func holdLikeChromium(path string) int {
	p, _ := windows.UTF16PtrFromString(path)
	h, err := windows.CreateFile(p, windows.GENERIC_READ|windows.GENERIC_WRITE, windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE,
		nil, windows.OPEN_ALWAYS, windows.FILE_ATTRIBUTE_NORMAL, 0)
	if err != nil {
		return 2
	}
	if err := windows.LockFileEx(h, windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, whole, whole, new(windows.Overlapped)); err != nil {
		return 3
	}
	os.Stdout.WriteString("locked\n")
	buf := make([]byte, 1)
	os.Stdin.Read(buf)
	return 0
}

// startChromium starts a holder of path and waits until it holds the lock.
func startChromium(t *testing.T, path string) (stop func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "WINLOCK_HOLD="+path)
	stdin, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	n, _ := out.Read(buf)
	if !strings.HasPrefix(string(buf[:n]), "locked") {
		cmd.Process.Kill()
		t.Fatalf("holder did not lock: %q", buf[:n])
	}
	return func() { stdin.Close(); cmd.Wait() }
}

func TestProbeSeesAnotherProcessHoldingTheLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "LOCK")
	if held, err := Probe(path); held || err != nil {
		t.Fatalf("missing LOCK: held=%v err=%v, want free", held, err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("Probe created LOCK: %v", err)
	}
	stop := startChromium(t, path)
	if held, err := Probe(path); !held || err != nil {
		t.Fatalf("while held: held=%v err=%v", held, err)
	}
	l, held, err := TryLock(path, true)
	if l != nil || !held || err != nil {
		t.Fatalf("TryLock while held: %v %v %v, want held", l, held, err)
	}
	stop()
	deadline := time.Now().Add(5 * time.Second)
	for {
		held, err := Probe(path)
		if err != nil {
			t.Fatal(err)
		}
		if !held {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("lock still held 5 s after the holder exited")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestOurLockKeepsChromiumOut(t *testing.T) {
	path := filepath.Join(t.TempDir(), "LOCK")
	l, held, err := TryLock(path, true)
	if err != nil || held || l == nil {
		t.Fatalf("TryLock on a free file: %v %v %v", l, held, err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "WINLOCK_HOLD="+path)
	err = cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 {
		t.Fatalf("Chromium's lock while ours is held: %v, want its LockFileEx to fail (exit 3)", err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if err := l.Release(); err != nil {
		t.Errorf("second Release: %v", err)
	}
	if held, err := Probe(path); held || err != nil {
		t.Errorf("after Release: held=%v err=%v", held, err)
	}
}
