//go:build windows

package probe

import (
	"os/exec"
	"strconv"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// procGroup is a stdio server and everything it spawns: on Windows a job
// object that kills its members when closed. Processes the child starts
// before it is assigned to the job escape it, so kill falls back to
// `taskkill /T /F`, which walks the process tree.
type procGroup struct {
	job windows.Handle
	pid int
}

// prepare starts the child in a new console process group, so console
// control events sent to mcpmend do not reach it and vice versa.
func prepare(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{CreationFlags: windows.CREATE_NEW_PROCESS_GROUP}
}

// attach puts the started child into a kill-on-close job object.
func (g *procGroup) attach(cmd *exec.Cmd) error {
	g.pid = cmd.Process.Pid
	job, err := windows.CreateJobObject(nil, nil)
	if err != nil {
		return err
	}
	info := windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION{
		BasicLimitInformation: windows.JOBOBJECT_BASIC_LIMIT_INFORMATION{LimitFlags: windows.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE},
	}
	if _, err := windows.SetInformationJobObject(job, windows.JobObjectExtendedLimitInformation,
		uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info))); err != nil {
		windows.CloseHandle(job)
		return err
	}
	h, err := windows.OpenProcess(windows.PROCESS_SET_QUOTA|windows.PROCESS_TERMINATE, false, uint32(g.pid))
	if err != nil {
		windows.CloseHandle(job)
		return err
	}
	defer windows.CloseHandle(h)
	if err := windows.AssignProcessToJobObject(job, h); err != nil {
		windows.CloseHandle(job)
		return err
	}
	g.job = job
	return nil
}

// terminate asks the tree to close (taskkill without /F sends WM_CLOSE;
// console programs usually ignore it, so kill follows).
func (g *procGroup) terminate() {
	if g.pid > 0 {
		_ = exec.Command("taskkill", "/T", "/PID", strconv.Itoa(g.pid)).Run()
	}
}

// kill ends the job's processes; without a job, the tree by pid (only
// while the leader is alive, so the pid cannot have been reused).
func (g *procGroup) kill() {
	if g.job != 0 {
		_ = windows.TerminateJobObject(g.job, 1)
		return
	}
	if g.pid > 0 {
		_ = exec.Command("taskkill", "/T", "/F", "/PID", strconv.Itoa(g.pid)).Run()
	}
}

// reap ends whatever the exited leader left behind. Only the job can be
// trusted here: the leader's pid may already belong to another process.
func (g *procGroup) reap(time.Duration) {
	if g.job != 0 {
		_ = windows.TerminateJobObject(g.job, 1)
	}
}

// alive reports whether the job still has running processes.
func (g *procGroup) alive() bool {
	if g.job == 0 {
		return false
	}
	var info struct {
		TotalUserTime, TotalKernelTime, ThisPeriodTotalUserTime, ThisPeriodTotalKernelTime int64
		TotalPageFaultCount, TotalProcesses, ActiveProcesses, TotalTerminatedProcesses     uint32
	}
	if err := windows.QueryInformationJobObject(g.job, windows.JobObjectBasicAccountingInformation,
		uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info)), nil); err != nil {
		return false
	}
	return info.ActiveProcesses > 0
}

// killTree kills a live process and its descendants.
func killTree(pid int) error {
	return exec.Command("taskkill", "/T", "/F", "/PID", strconv.Itoa(pid)).Run()
}

// release closes the job, which kills anything still in it.
func (g *procGroup) release() {
	if g.job != 0 {
		windows.CloseHandle(g.job)
		g.job = 0
	}
	g.pid = 0
}

// signalName is always "" on Windows: processes end with exit codes.
func signalName(any) string { return "" }
