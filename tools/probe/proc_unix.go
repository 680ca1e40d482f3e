//go:build unix

package probe

import (
	"os/exec"
	"syscall"
	"time"
)

// procGroup is a stdio server and everything it spawns: on Unix its own
// process group, so `npx` → `node` and any helper a server forks can be
// signalled together. (A process that calls setsid itself escapes; MCP
// servers do not daemonise.)
type procGroup struct{ pgid int }

// prepare makes the child lead a new process group.
func prepare(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// attach records the group after Start: its id is the leader's pid.
func (g *procGroup) attach(cmd *exec.Cmd) error {
	g.pgid = cmd.Process.Pid
	return nil
}

func (g *procGroup) signal(sig syscall.Signal) {
	if g.pgid > 0 {
		_ = syscall.Kill(-g.pgid, sig)
	}
}

// terminate asks every process in the group to exit.
func (g *procGroup) terminate() { g.signal(syscall.SIGTERM) }

// kill ends every process in the group.
func (g *procGroup) kill() { g.signal(syscall.SIGKILL) }

// alive reports whether any process of the group still exists (zombies
// count until their parent reaps them).
func (g *procGroup) alive() bool { return g.pgid > 0 && syscall.Kill(-g.pgid, 0) == nil }

// reap ends whatever the exited leader left behind in its group (a
// grandchild holding on, one that ignores SIGTERM): SIGTERM, up to grace to
// go, then SIGKILL.
func (g *procGroup) reap(grace time.Duration) {
	if !g.alive() {
		return
	}
	g.terminate()
	for deadline := time.Now().Add(grace); g.alive() && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	g.kill()
}

// killTree kills a live process and its group (a child started with
// prepare leads its own group).
func killTree(pid int) error { return syscall.Kill(-pid, syscall.SIGKILL) }

// release forgets the group so a reused id is never signalled.
func (g *procGroup) release() { g.pgid = 0 }

// signalName names the signal that ended a process, or "".
func signalName(ws any) string {
	if st, ok := ws.(syscall.WaitStatus); ok && st.Signaled() {
		return st.Signal().String()
	}
	return ""
}
