//go:build !unix

package integration

import (
	"os/exec"
	"testing"
)

// measureRSS reports 0 where rusage is not available.
func measureRSS(*testing.T, *exec.Cmd) func() int64 { return func() int64 { return 0 } }
