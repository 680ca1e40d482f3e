// Command rsswrap runs a command and writes its peak resident set size, in
// bytes, to the file named by $RSSWRAP_OUT; it exits with the command's code.
//
// The tests need it because a child started straight from the test binary
// inherits the test's own peak: Linux starts a child with the parent's address
// space (vfork) and keeps that high-water mark in the child's rusage across
// exec, so a -race test process of 300 MB made every probe look 300 MB large.
// Started from this small program instead, the figure is the command's own.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"syscall"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: rsswrap COMMAND [ARG...]")
		os.Exit(2)
	}
	cmd := exec.Command(os.Args[1], os.Args[2:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	if cmd.ProcessState == nil {
		fmt.Fprintln(os.Stderr, "rsswrap:", err)
		os.Exit(127)
	}
	if out := os.Getenv("RSSWRAP_OUT"); out != "" {
		var rss int64
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			rss = int64(ru.Maxrss)
			if runtime.GOOS != "darwin" {
				rss *= 1024 // kilobytes on Linux, bytes on macOS
			}
		}
		if err := os.WriteFile(out, []byte(fmt.Sprint(rss)), 0o600); err != nil {
			fmt.Fprintln(os.Stderr, "rsswrap:", err)
		}
	}
	os.Exit(cmd.ProcessState.ExitCode())
}
