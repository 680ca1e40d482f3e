package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/mcpmend/mcpmend/cache/journal"
	"github.com/mcpmend/mcpmend/internal/homeowner"
)

// newApplyPendingCmd is the detached worker: it waits (bounded, backing off)
// for locked stores — Claude Desktop's LevelDB while the app runs — applies
// the waiting steps with the same protocol as reset, and records the outcome
// in the journal. Only one runs per state directory.
func newApplyPendingCmd(a *app) *cobra.Command {
	var opt journal.PendingOptions
	cmd := &cobra.Command{
		Use:   "apply-pending",
		Short: "apply resets that wait for a locked store (reset starts it detached)",
		Long: `Apply the parts of resets that wait for a store another program holds (Claude Desktop's Local
Storage while it runs). reset starts this worker detached; run it by hand to apply at once.`,
		Example: "  mcpmend apply-pending --once",
		Args:    noArgs(""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			opt.Log = a.deps.Logger
			rep, err := journal.RunPending(cmd.Context(), a.deps.Env, opt)
			if errors.Is(err, journal.ErrWorkerRunning) {
				a.deps.Logger.Info("apply-pending: " + err.Error())
				return a.emit(map[string]any{"running_elsewhere": true}, err.Error()+"\n")
			}
			if rep == nil {
				return err
			}
			if emitErr := a.emit(rep, pendingText(rep)); emitErr != nil {
				return emitErr
			}
			return err
		},
	}
	f := cmd.Flags()
	f.DurationVar(&opt.MaxWait, "max-wait", journal.DefaultMaxWait, "stop waiting after this `DURATION` (the next reset, undo, apply-pending or serve session tries again)")
	f.DurationVar(&opt.Poll, "poll", time.Second, "first pause between attempts (a `DURATION`); it doubles up to --max-poll")
	f.DurationVar(&opt.MaxPoll, "max-poll", 15*time.Second, "longest pause between attempts (a `DURATION`)")
	f.BoolVar(&opt.OnlyOnce, "once", false, "one pass over the journal, no waiting")
	addAsOwnerFlag(cmd, a)
	return cmd
}

// pendingText renders a pass over the journal for a person.
func pendingText(rep *journal.ResumeReport) string {
	var b strings.Builder
	for _, e := range rep.Touched {
		for _, s := range e.Steps {
			fmt.Fprintf(&b, "%s %s %s: %s", e.ID, e.Server.Name, s.Store, s.Status)
			if s.Reason != "" {
				fmt.Fprintf(&b, " (%s)", s.Reason)
			}
			b.WriteByte('\n')
		}
	}
	for _, id := range rep.Busy {
		fmt.Fprintf(&b, "%s: being worked on by another mcpmend\n", id)
	}
	if b.Len() == 0 {
		b.WriteString("nothing pending\n")
	}
	return b.String()
}

// resumeAtStart applies the journal rule before a command runs: the commands
// that change stores (reset, undo) first finish what earlier runs left (a
// reset a crash interrupted, steps whose store is free now); serve does the
// same once a client has finished its handshake; apply-pending is the replay
// itself. Those same commands then prune what expired and clear what killed
// runs left (housekeeping); prune is that pass itself. Read-only commands
// only report pending work, on stderr, and never remove anything.
func resumeAtStart(ctx context.Context, a *app, cmdName string, args []string) {
	switch cmdName {
	case "reset", "undo":
		resumePending(ctx, a)
		housekeeping(a, args...) // undo ID: never prune the reset about to be undone
	case "serve":
		a.deps.AfterHandshake = sync.OnceFunc(func() {
			go func() {
				resumePending(ctx, a)
				housekeeping(a)
			}()
		})
	case "apply-pending":
		housekeeping(a)
	case "prune", "version", "help", "completion":
	default:
		reportPending(a)
	}
}

// reportPending tells a person (stderr, never the MCP stream) that resets
// are waiting or were interrupted, and what finishes them.
func reportPending(a *app) {
	entries, err := journal.Open(a.deps.Env, a.deps.Logger).List()
	if err != nil {
		return
	}
	n := 0
	for _, e := range entries {
		if e.Pending() {
			n++
		}
	}
	if n > 0 {
		a.deps.Logger.Warn(fmt.Sprintf("%d reset(s) have pending steps (mcpmend status shows them); %s", n, journal.ReplayNote))
	}
}

// resumePending finishes what earlier runs left and makes sure a worker
// waits for the steps that still cannot be applied. It is bounded and never
// fails the command: problems are logged.
func resumePending(ctx context.Context, a *app) {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	log := a.deps.Logger
	if homeowner.Check(a.deps.Env.Home, a.deps.Env.AsOwner) != nil {
		return // another user's home without --as-owner: the command itself refuses and says why
	}
	rep, err := journal.ResumePending(ctx, a.deps.Env, log)
	if err != nil {
		log.Warn("resuming pending resets", "err", err)
		return
	}
	for _, e := range rep.Touched {
		log.Info("resumed pending reset", "id", e.ID, "server", e.Server.Name)
	}
	if rep.Waiting == 0 {
		return
	}
	wc, err := journal.DefaultWorkerCommand(a.deps.Env)
	if err == nil {
		_, err = journal.SpawnWorker(a.deps.Env, wc)
	}
	if err != nil {
		log.Warn("starting apply-pending", "err", err)
	}
}
