//go:build unix

package tools

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time this process has used (user + system). On a
// shared, loaded machine wall time per op says more about the neighbours
// than about the code; the benchmarks report CPU time per op beside it.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
