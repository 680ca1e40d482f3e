//go:build !windows

package probe

import (
	"context"
	"os/exec"
)

// helperCommand runs command through /bin/sh -c, as Node's exec does.
func helperCommand(ctx context.Context, command string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", command)
	prepare(cmd)
	return cmd
}
