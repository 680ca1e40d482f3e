package journal

import (
	"context"
	"errors"
)

// Cancellation is an outcome, not an accident. When the caller's context
// ends (Ctrl-C, SIGTERM, SIGHUP, an MCP client cancelling the tool call)
// while a reset runs:
//
//   - the step in flight is finished — backed up, applied, verified, or
//     rolled back — under a context that cannot be cancelled (stepContext);
//     only a wait that has written nothing yet (for the owner's lock) is
//     abandoned, through WaitContext;
//   - every step not yet started is marked StatusCancelled, which is final:
//     nothing resumes it later;
//   - the caller (cache.RunReset) then puts back the steps already applied,
//     so a cancelled reset changes nothing.

type waitKey struct{}

// stepContext is ctx without its cancellation, carrying ctx itself for the
// waits a mutation may abandon before it writes anything.
func stepContext(ctx context.Context) context.Context {
	return context.WithValue(context.WithoutCancel(ctx), waitKey{}, ctx)
}

// WaitContext is the context a Mutation waits with before it has written
// anything (e.g. for the owner's lock): the caller's own, cancellable one.
// Everything after the first write must use ctx itself, which the journal
// never cancels mid-step.
func WaitContext(ctx context.Context) context.Context {
	if c, ok := ctx.Value(waitKey{}).(context.Context); ok {
		return c
	}
	return ctx
}

// cancelled reports whether err is a cancellation or deadline of the caller.
func cancelled(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// cancelReason says why the rest of a reset did not run.
func cancelReason(ctx context.Context) string {
	cause := context.Cause(ctx)
	if cause == nil {
		cause = ctx.Err()
	}
	return "cancelled (" + cause.Error() + ") before this store was changed; nothing here changed, and nothing resumes it"
}

// Cancelled reports whether some step of e was cancelled.
func Cancelled(e *Entry) bool {
	for _, s := range e.Steps {
		if s.Status == StatusCancelled {
			return true
		}
	}
	return false
}
