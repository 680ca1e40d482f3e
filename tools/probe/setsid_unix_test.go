//go:build unix

package probe

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// unixBehaviour runs the test servers that need setsid().
func unixBehaviour(b string) (int, bool) {
	switch b {
	case "setsid": // forks a helper into its own session (escaping the group), then serves
		self, _ := os.Executable()
		cmd := exec.Command(self)
		cmd.Env = append(os.Environ(), behaviourEnv+"=sleeper")
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		if err := cmd.Start(); err != nil {
			fmt.Fprintln(os.Stderr, "fork:", err)
			return 1, true
		}
		os.WriteFile(os.Getenv("PROBE_PIDFILE"), []byte(strconv.Itoa(cmd.Process.Pid)), 0o600)
		return serveStdio(), true
	case "orphan": // a setsid helper whose parent exits at once: reparented
		self, _ := os.Executable()
		cmd := exec.Command(self)
		cmd.Env = append(os.Environ(), behaviourEnv+"=setsid-sleeper")
		if err := cmd.Start(); err != nil {
			return 1, true
		}
		cmd.Wait()
		return serveStdio(), true
	case "setsid-sleeper": // forks a setsid sleeper, records it, exits
		self, _ := os.Executable()
		cmd := exec.Command(self)
		cmd.Env = append(os.Environ(), behaviourEnv+"=sleeper")
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		if err := cmd.Start(); err != nil {
			return 1, true
		}
		os.WriteFile(os.Getenv("PROBE_PIDFILE"), []byte(strconv.Itoa(cmd.Process.Pid)), 0o600)
		return 0, true
	}
	return 0, false
}

// TestSetsidChildIsKilled: a helper that leaves the server's process group
// with setsid(), and one orphaned into its own session, are both ended.
func TestSetsidChildIsKilled(t *testing.T) {
	if !processTable {
		t.Skip("no /proc to look in")
	}
	for _, b := range []string{"setsid", "orphan"} {
		t.Run(b, func(t *testing.T) {
			pidfile := filepath.Join(t.TempDir(), "pid")
			opts := quick()
			opts.Timeout = 20 * time.Second // three re-executions of the test binary before it answers
			r := Probe(context.Background(), stdioServer(t, b, "PROBE_PIDFILE", pidfile), opts)
			checkResult(t, r, OK)
			data, err := os.ReadFile(pidfile)
			if err != nil {
				t.Fatal(err)
			}
			pid, _ := strconv.Atoi(string(data))
			for deadline := time.Now().Add(2 * time.Second); alive(pid) && time.Now().Before(deadline); {
				time.Sleep(10 * time.Millisecond)
			}
			if alive(pid) {
				syscall.Kill(pid, syscall.SIGKILL)
				t.Fatalf("the setsid child %d outlived the probe", pid)
			}
		})
	}
}
