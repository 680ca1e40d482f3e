//go:build windows

package probe

import (
	"context"
	"os/exec"
	"syscall"
)

// helperCommand runs command through cmd.exe as Node's exec does, with the
// command line passed verbatim (windowsHelperCmdLine).
func helperCommand(ctx context.Context, command string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "cmd.exe")
	prepare(cmd)
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.CmdLine = windowsHelperCmdLine(command)
	return cmd
}
