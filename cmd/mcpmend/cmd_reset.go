package main

import (
	"context"
	"fmt"

	"github.com/mcpmend/mcpmend/cache/journal"
	"github.com/mcpmend/mcpmend/registry"
	"github.com/mcpmend/mcpmend/tools"
)

func init() {
	commands["reset"] = command{"clear a client's memory of one server (undoable)", runReset}
	commands["status"] = command{"where mcpmend's resets stand", runStatus}
	commands["undo"] = command{"undo a reset", runUndo}
}

// runReset is `mcpmend reset NAME [--dry-run] [--forget-tokens] [--client C]
// [--scope S]`: reset_server_auth for a person. It exits 1 when a store
// refused (nothing was changed).
func runReset(ctx context.Context, a *app, args []string) error {
	fs := newFlagSet("reset", a.stderr)
	var in tools.ResetServerAuthInput
	fs.BoolVar(&in.DryRun, "dry-run", false, "only list the records that would be removed")
	fs.BoolVar(&in.ForgetTokens, "forget-tokens", false, "also remove stored tokens and client secrets (a new sign-in follows)")
	fs.StringVar(&in.Client, "client", "", "the client, when several configure NAME")
	fs.StringVar(&in.Scope, "scope", "", "the scope, when the client defines NAME more than once")
	name, err := parseOne(fs, args, "server name (mcpmend reset NAME)")
	if err != nil {
		return err
	}
	in.Name = name
	out, err := tools.ResetServerAuth(ctx, a.deps, in)
	if err != nil {
		return err
	}
	if err := a.emit(out, out.Text()); err != nil {
		return err
	}
	if out.Outcome == tools.OutcomeRefused {
		return exitError{1}
	}
	return nil
}

// runStatus is `mcpmend status [ID]`: reset_status.
func runStatus(ctx context.Context, a *app, args []string) error {
	fs := newFlagSet("status", a.stderr)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	var in tools.ResetStatusInput
	switch len(pos) {
	case 0:
	case 1:
		in.ID = pos[0]
	default:
		return fmt.Errorf("give at most one reset id (mcpmend status [ID])")
	}
	out, err := tools.ResetStatus(ctx, a.deps, in)
	if err != nil {
		return err
	}
	return a.emit(out, out.Text())
}

// runUndo is `mcpmend undo ID`: undo_reset. It exits 1 when a store refused.
func runUndo(ctx context.Context, a *app, args []string) error {
	fs := newFlagSet("undo", a.stderr)
	id, err := parseOne(fs, args, "reset id (mcpmend undo ID; mcpmend status lists them)")
	if err != nil {
		return err
	}
	out, err := tools.UndoReset(ctx, a.deps, tools.UndoResetInput{ID: id})
	if err != nil {
		return err
	}
	if err := a.emit(out, out.Text()); err != nil {
		return err
	}
	if out.Outcome == tools.UndoRefused {
		return exitError{1}
	}
	return nil
}

// spawnWorker starts the detached apply-pending worker (tools.Deps.StartWorker).
func spawnWorker(env registry.Env) (int, error) {
	wc, err := journal.DefaultWorkerCommand(env)
	if err != nil {
		return 0, err
	}
	return journal.SpawnWorker(env, wc)
}
