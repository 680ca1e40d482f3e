//go:build windows

package crashpoint

import (
	"os/exec"

	"golang.org/x/sys/windows"
)

// KilledExitCode is the exit status a process terminated at a crash point
// has on Windows, where there are no signals: distinct from the 1 an
// ordinary failure (or os.Process.Kill) gives.
const KilledExitCode = 0xDEAD

// killSelf terminates the process at once, as TerminateProcess always does:
// no deferred function and no cleanup runs.
func killSelf() {
	_ = windows.TerminateProcess(windows.CurrentProcess(), KilledExitCode)
}

func killedStatus(ee *exec.ExitError) bool { return ee.ExitCode() == KilledExitCode }
