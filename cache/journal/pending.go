package journal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/mcpmend/mcpmend/internal/homeowner"
	"github.com/mcpmend/mcpmend/internal/lockedfile"
	"github.com/mcpmend/mcpmend/registry"
)

// ResumeReport says what a pass over the journal did.
type ResumeReport struct {
	// Touched lists the entries that had pending or interrupted work, after
	// the pass.
	Touched []*Entry `json:"touched,omitempty"`
	// Busy lists entries another live mcpmend process was working on.
	Busy []string `json:"busy,omitempty"`
	// Waiting is the number of steps still waiting for their store.
	Waiting int `json:"waiting"`
}

// ReplayNote says, for messages, who finishes pending work: only the commands
// that change stores replay the journal (reset, undo, apply-pending, and
// serve once a client has finished its handshake); read-only commands (list,
// state, status, checkup, diagnose, probe) only report it.
const ReplayNote = "`mcpmend apply-pending` tries again, as do the next `mcpmend reset` or `mcpmend undo` and the next MCP session of `mcpmend serve`"

// ResumePending finishes or rolls back what earlier runs left: steps a crash
// interrupted are recovered (see Journal.recover) and waiting steps whose
// store is free now are applied. The commands that replay (see ReplayNote) call it;
// with no journal it costs one ReadDir. It never waits for a busy entry.
func ResumePending(ctx context.Context, env registry.Env, log *slog.Logger) (*ResumeReport, error) {
	return Open(env, log).resumeAll(ctx)
}

func (j *Journal) resumeAll(ctx context.Context) (*ResumeReport, error) {
	if err := j.mayWrite(); err != nil {
		return nil, err
	}
	entries, err := j.List()
	if err != nil {
		return nil, err
	}
	rep := &ResumeReport{}
	for _, e := range entries {
		if !e.Pending() {
			continue
		}
		id := e.ID
		e, err := j.withEntry(ctx, id, 200*time.Millisecond, func(e *Entry) error {
			j.advance(ctx, e, false)
			return nil
		})
		var he *lockedfile.HeldError
		if errors.As(err, &he) {
			rep.Busy = append(rep.Busy, id)
			continue
		}
		if err != nil {
			j.Log.Warn("pending reset not resumed", "id", id, "err", err)
			continue
		}
		rep.Touched = append(rep.Touched, e)
		for _, s := range e.Steps {
			if s.Status == StatusWaiting {
				rep.Waiting++
			}
		}
	}
	return rep, nil
}

// PendingOptions bounds the apply-pending worker.
type PendingOptions struct {
	MaxWait  time.Duration // stop waiting after this long (default DefaultMaxWait)
	Poll     time.Duration // first pause between passes (default 1 s); doubles…
	MaxPoll  time.Duration // …up to this (default 15 s)
	Log      *slog.Logger
	OnlyOnce bool // one pass, no waiting (tests and `apply-pending --once`)
}

// ErrWorkerRunning is returned by RunPending when another apply-pending
// worker holds the worker lock; that one will do the work.
var ErrWorkerRunning = errors.New("another mcpmend apply-pending is already running")

// workerLock allows one apply-pending worker per state directory: a kernel
// lock, held for the worker's life (see lockedfile.KernelLock).
func workerLock(env registry.Env) lockedfile.KernelLock {
	return lockedfile.KernelLock{Path: filepath.Join(env.StateHome(), "apply-pending.flock"),
		Wait: 100 * time.Millisecond, Owner: "mcpmend apply-pending"}
}

// RunPending is the apply-pending worker: it takes the worker lock, then
// passes over the journal, backing off between passes, until no step waits,
// MaxWait has passed, or ctx ends. A step still waiting past its own
// WaitUntil is given up (failed, nothing changed).
func RunPending(ctx context.Context, env registry.Env, opt PendingOptions) (*ResumeReport, error) {
	if opt.MaxWait <= 0 {
		opt.MaxWait = DefaultMaxWait
	}
	if opt.Poll <= 0 {
		opt.Poll = time.Second
	}
	if opt.MaxPoll <= 0 {
		opt.MaxPoll = 15 * time.Second
	}
	if err := homeowner.Check(env.Home, env.AsOwner); err != nil {
		return nil, err
	}
	if err := lockedfile.MkdirAll(env.StateHome(), 0o700); err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	h, err := workerLock(env).Acquire(ctx)
	var he *lockedfile.HeldError
	if errors.As(err, &he) {
		return nil, fmt.Errorf("%w (%v)", ErrWorkerRunning, he)
	}
	if err != nil {
		return nil, err
	}
	defer h.Release()
	j := Open(env, opt.Log)
	deadline := time.Now().Add(opt.MaxWait)
	pause := opt.Poll
	for {
		rep, err := j.resumeAll(ctx)
		if err != nil {
			return rep, err
		}
		if rep.Waiting == 0 && len(rep.Busy) == 0 || opt.OnlyOnce {
			return rep, nil
		}
		if time.Now().After(deadline) {
			return rep, fmt.Errorf("stopped after %s with %d step(s) still waiting; %s", opt.MaxWait, rep.Waiting, ReplayNote)
		}
		j.Log.Info("waiting for locked stores", "steps", rep.Waiting, "next", pause)
		t := time.NewTimer(min(pause, time.Until(deadline)+time.Millisecond))
		select {
		case <-ctx.Done():
			t.Stop()
			return rep, ctx.Err()
		case <-t.C:
		}
		pause = min(pause*2, opt.MaxPoll)
	}
}

// WorkerCommand is how to start the apply-pending worker.
type WorkerCommand struct {
	Path string
	Args []string
	Env  []string // nil: this process's environment
}

// DefaultWorkerCommand runs this executable as `apply-pending`, with --home
// when env's home was overridden.
func DefaultWorkerCommand(env registry.Env) (WorkerCommand, error) {
	exe, err := os.Executable()
	if err != nil {
		return WorkerCommand{}, fmt.Errorf("locate mcpmend to start apply-pending: %w", err)
	}
	args := []string{"apply-pending"}
	if env.HomeOverridden {
		args = append([]string{"--home", env.Home}, args...)
	}
	if env.AsOwner {
		args = append(args, homeowner.Flag) // the worker writes the same home as the same user
	}
	return WorkerCommand{Path: exe, Args: args}, nil
}

// WorkerRunning reports whether an apply-pending worker holds the lock, and
// its pid.
func WorkerRunning(env registry.Env) (bool, int) {
	l := workerLock(env)
	l.Wait = 0
	h, err := l.Acquire(context.Background())
	if err == nil {
		_ = h.Release()
		return false, 0
	}
	var he *lockedfile.HeldError
	if errors.As(err, &he) {
		return true, he.PID
	}
	return false, 0
}

// SpawnWorker starts the apply-pending worker detached from this process (its
// own session on Unix, DETACHED_PROCESS on Windows), so it survives the
// client that ran the reset quitting — which is often exactly what frees the
// lock it waits for. Its output goes to <state>/apply-pending.log. When a
// worker already runs it starts none and returns that worker's pid.
func SpawnWorker(env registry.Env, wc WorkerCommand) (pid int, err error) {
	if running, pid := WorkerRunning(env); running {
		return pid, nil
	}
	state := env.StateHome()
	if err := lockedfile.MkdirAll(state, 0o700); err != nil {
		return 0, fmt.Errorf("state directory: %w", err)
	}
	logf, err := lockedfile.OpenAppend(filepath.Join(state, "apply-pending.log"), 0o600)
	if err != nil {
		return 0, fmt.Errorf("apply-pending log: %w", err)
	}
	defer logf.Close()
	cmd := exec.Command(wc.Path, wc.Args...)
	cmd.Env = wc.Env
	cmd.Dir = state // never pin the caller's working directory
	cmd.Stdout, cmd.Stderr = logf, logf
	detach(cmd)
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("start apply-pending: %w", err)
	}
	go cmd.Wait() // reap it if we outlive it; otherwise init does
	return cmd.Process.Pid, nil
}
