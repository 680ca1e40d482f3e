//go:build unix

package chromiumtest

import (
	"os/exec"
	"syscall"
)

// ownGroup starts Chromium in a process group of its own.
func ownGroup(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }

// killGroup ends whatever is left of Chromium's process group.
func killGroup(cmd *exec.Cmd) { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
