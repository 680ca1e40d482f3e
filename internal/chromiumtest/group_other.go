//go:build !unix

package chromiumtest

import "os/exec"

// ownGroup does nothing where process groups are not POSIX ones.
func ownGroup(*exec.Cmd) {}

// killGroup does nothing where process groups are not POSIX ones.
func killGroup(*exec.Cmd) {}
