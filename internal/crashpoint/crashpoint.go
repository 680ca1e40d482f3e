// Package crashpoint lets tests kill the process at a named point, so crash
// safety is tested with real SIGKILLs instead of simulated failures.
//
// A test sets MCPMEND_CRASH_AT=name (or name:N to die at the Nth hit) in a
// child process's environment; when the code reaches Hit(name) the process
// kills itself with SIGKILL (TerminateProcess on Windows): no deferred
// function, no buffered write and no cleanup runs, exactly as in a power cut
// of the process. Without the variable Hit costs one string comparison.
package crashpoint

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// EnvVar names the crash point a child process dies at.
const EnvVar = "MCPMEND_CRASH_AT"

var (
	once   sync.Once
	target string
	nth    = 1
	mu     sync.Mutex
	hits   int
)

func load() {
	v := os.Getenv(EnvVar)
	name, n, ok := strings.Cut(v, ":")
	target = name
	if ok {
		if i, err := strconv.Atoi(n); err == nil && i > 0 {
			nth = i
		}
	}
}

// Hit kills the process when the crash point named in MCPMEND_CRASH_AT is
// name and this is its Nth hit.
func Hit(name string) {
	once.Do(load)
	if target == "" || target != name {
		return
	}
	mu.Lock()
	hits++
	die := hits == nth
	mu.Unlock()
	if !die {
		return
	}
	killSelf()
	// Never return: the kill is asynchronous on some systems. Not select{},
	// which the runtime may call a deadlock and exit with status 2 first.
	for {
		time.Sleep(time.Hour)
	}
}

// Killed reports whether err is how a process that died at a crash point
// ends: killed by SIGKILL on Unix, terminated with KilledExitCode on Windows.
func Killed(err error) bool {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return false
	}
	return killedStatus(ee)
}
