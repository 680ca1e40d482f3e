//go:build unix

package journal

import (
	"os/exec"
	"syscall"
)

// detach puts the worker in its own session: no controlling terminal, not in
// the caller's process group, so neither a terminal hang-up nor the client
// killing its children's group reaches it.
func detach(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
}
