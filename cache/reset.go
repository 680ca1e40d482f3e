package cache

import (
	"context"
	"errors"
	"fmt"

	"github.com/mcpmend/mcpmend/cache/journal"
	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/registry"
)

// PlanReset asks every planner and returns their mutations. Any error —
// a damaged store above all — refuses the whole reset before anything is
// written: a reset either plans from stores it read faithfully or not at all.
func PlanReset(ctx context.Context, env registry.Env, req store.ResetRequest, planners []store.Store) ([]journal.Mutation, error) {
	var muts []journal.Mutation
	for _, p := range planners {
		m, err := p.PlanReset(ctx, env, req)
		if err != nil {
			var de *store.DamagedError
			if errors.As(err, &de) {
				return nil, fmt.Errorf("refused, nothing was changed: %w; mcpmend never writes a store it cannot read faithfully", err)
			}
			return nil, fmt.Errorf("refused, nothing was changed: %s: %w", p.Name(), err)
		}
		for _, x := range m {
			if len(x.Describe()) > 0 {
				muts = append(muts, x)
			}
		}
	}
	return muts, nil
}

// RunReset records the mutations as one journal entry and applies them.
// When a store refuses or fails, the parts already applied are undone and
// the parts still waiting are cancelled, so a reset either takes effect in
// every store that could be written or changes nothing; steps that wait for
// a locked store (Claude Desktop running) stay waiting when nothing failed.
//
// A cancelled ctx (a signal, an MCP client cancelling the call) is an
// outcome too: the step in flight finishes or rolls back, the steps not
// started are marked cancelled, and the steps already applied are put back,
// so a cancelled reset changes nothing (see journal.Cancelled).
//
// opt (at most one) is passed to Begin: ForgetTokens bounds how long the
// backups are kept.
func RunReset(ctx context.Context, j *journal.Journal, ref journal.ServerRef, muts []journal.Mutation, opt ...journal.BeginOptions) (*journal.Entry, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("cancelled before anything was recorded or changed: %w", context.Cause(ctx))
	}
	var bo journal.BeginOptions
	if len(opt) > 0 {
		bo = opt[0]
	}
	e, err := j.Begin(ref, muts, bo)
	if err != nil {
		return nil, err
	}
	e, err = j.Apply(ctx, e.ID)
	if err != nil {
		return e, err
	}
	if !Failed(e) && !journal.Cancelled(e) {
		return e, nil
	}
	undone, err := j.Undo(context.WithoutCancel(ctx), e.ID)
	if err != nil {
		return undone, fmt.Errorf("the reset was refused or cancelled and rolling back the stores already changed failed: %w", err)
	}
	return undone, nil
}

// Failed reports whether some step of e failed.
func Failed(e *journal.Entry) bool {
	for _, s := range e.Steps {
		if s.Status == journal.StatusFailed {
			return true
		}
	}
	return false
}
