//go:build !windows

package crashpoint

import (
	"os"
	"os/exec"
)

// killSelf sends SIGKILL to this process: no deferred function and no
// cleanup runs.
func killSelf() {
	if p, err := os.FindProcess(os.Getpid()); err == nil {
		_ = p.Kill()
	}
}

// killedStatus: a process killed by a signal has no exit code (-1).
func killedStatus(ee *exec.ExitError) bool { return ee.ExitCode() == -1 }
