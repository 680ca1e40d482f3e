//go:build linux

package probe

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// What no process outliving a probe means on each system:
//   - Linux: the server leads its own process group, which is ended; the
//     probing process is a child subreaper (PR_SET_CHILD_SUBREAPER), so a
//     descendant that calls setsid() or double-forks and is orphaned is
//     reparented to it rather than to init; every process carrying the
//     probe's mark (probeMarkEnv) is then killed, and those reparented to
//     us are reaped. A descendant that both leaves the group and clears its
//     environment is not found.
//   - macOS and the other Unixes: the process group is ended (the
//     SIGTERM, SIGKILL escalation); a descendant that calls setsid() leaves
//     the group and is not found — macOS has neither a subreaper nor a
//     readable environment of other processes.
//   - Windows: the server runs in a kill-on-close job object, which takes in
//     every process it starts (see proc_windows.go).

var subreaperOnce sync.Once

// becomeSubreaper makes this process the reaper of its orphaned
// descendants. It is process-wide and set once, before the first probe
// starts a process.
func becomeSubreaper() {
	subreaperOnce.Do(func() { _ = unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) })
}

// killMarked kills every process whose environment holds mark and reaps
// those that were reparented to us. It repeats a few times, for children
// forked while it worked.
func killMarked(mark string) {
	if mark == "" {
		return
	}
	needle := []byte(probeMarkEnv + "=" + mark + "\x00")
	for round := 0; round < 5; round++ {
		pids := markedPIDs(needle)
		if len(pids) == 0 {
			return
		}
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		for _, pid := range pids {
			if parentOf(pid) == os.Getpid() {
				var ws syscall.WaitStatus
				_, _ = syscall.Wait4(pid, &ws, 0, nil)
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// markedPIDs lists live processes whose environment contains needle.
func markedPIDs(needle []byte) []int {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	var out []int
	self := os.Getpid()
	for _, d := range dirs {
		pid, err := strconv.Atoi(filepath.Base(d))
		if err != nil || pid == self {
			continue
		}
		env, err := os.ReadFile(filepath.Join(d, "environ"))
		if err != nil || !bytes.Contains(append(env, 0), needle) {
			continue
		}
		out = append(out, pid)
	}
	return out
}

// parentOf reads a process's parent id from /proc; 0 when gone.
func parentOf(pid int) int {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 || i+4 >= len(stat) {
		return 0
	}
	fields := bytes.Fields(stat[i+2:])
	if len(fields) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(string(fields[1]))
	return ppid
}
