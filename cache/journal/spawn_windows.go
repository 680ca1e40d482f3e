//go:build windows

package journal

import (
	"os/exec"
	"syscall"
)

// Windows process creation flags (winbase.h).
const (
	detachedProcess       = 0x00000008
	createNewProcessGroup = 0x00000200
)

// detach starts the worker without a console and in its own process group,
// so closing the client's console or sending it Ctrl+C does not end it.
func detach(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{CreationFlags: detachedProcess | createNewProcessGroup, HideWindow: true}
}
