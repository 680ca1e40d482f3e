package tools

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpmend/mcpmend/cache"
	"github.com/mcpmend/mcpmend/cache/journal"
	"github.com/mcpmend/mcpmend/internal/inert"
	"github.com/mcpmend/mcpmend/registry"
	"github.com/mcpmend/mcpmend/tools/diagnose"
)

// UndoResetInput names the reset to undo.
type UndoResetInput struct {
	ID string `json:"id" jsonschema:"the reset's id as reset_server_auth or reset_status gave it"`
}

// Outcomes of undo_reset.
const (
	UndoDone    = "undone"
	UndoAlready = "nothing-to-undo"
	UndoRefused = "refused"
)

// UndoResetOutput is the reset after undo and the server's state now.
type UndoResetOutput struct {
	Status  string           `json:"status" jsonschema:"ok (undone or nothing to undo) or error (a store refused and is unchanged)"`
	Verdict string           `json:"verdict" jsonschema:"what happened, in one line"`
	Next    *diagnose.Action `json:"next,omitempty" jsonschema:"the one thing to do now"`
	Outcome string           `json:"outcome" jsonschema:"undone, nothing-to-undo (already undone, or the reset changed nothing) or refused (a record was written again since the reset; that store is unchanged)"`
	Reset   ResetView        `json:"reset"`
	Refused string           `json:"refused,omitempty" jsonschema:"why a store refused"`
	Session *cache.Session   `json:"session,omitempty" jsonschema:"Claude Code only: the next session's verdict now"`
	At      time.Time        `json:"at"`
}

func addUndoReset(ts *toolSet) {
	d := ts.d
	addTool(ts, &mcp.Tool{
		Name:  "undo_reset",
		Title: "Undo a reset",
		Description: `Put back, byte for byte, every record a reset_server_auth removed; a part still waiting for a locked store is cancelled.

A store whose record was written again since the reset (for example a new sign-in wrote fresh tokens) is left as it is and reported as refused, because restoring would destroy newer state; the backup stays in the journal. Undoing twice changes nothing the second time. Example: {"id": "20261126T101500Z-1a2b3c4d"} — reset_status lists the ids.`,
		Annotations: &mcp.ToolAnnotations{DestructiveHint: ptr(true), IdempotentHint: true, OpenWorldHint: ptr(false)},
	}, nil, func(ctx context.Context, _ *mcp.CallToolRequest, in UndoResetInput) (*mcp.CallToolResult, *UndoResetOutput, error) {
		out, err := UndoReset(ctx, d, in)
		if err != nil {
			return nil, nil, err
		}
		out.lead()
		res := text(out.Text())
		res.IsError = out.Outcome == UndoRefused
		return res, out, nil
	})
}

// UndoReset undoes reset in.ID through the journal and re-reads the
// server's stores.
func UndoReset(ctx context.Context, d *Deps, in UndoResetInput) (*UndoResetOutput, error) {
	if in.ID == "" {
		return nil, errors.New("id is required: reset_status lists the resets")
	}
	j := journal.Open(d.Env, d.Logger)
	e, err := j.Get(in.ID)
	if err != nil {
		return nil, err
	}
	out := &UndoResetOutput{Outcome: UndoDone}
	if !undoable(e) {
		out.Outcome = UndoAlready
	}
	e, err = j.Undo(ctx, in.ID)
	if e == nil {
		return nil, err
	}
	if err != nil {
		out.Outcome, out.Refused = UndoRefused, err.Error()
	}
	out.Reset = viewOf(e)
	out.At = d.now().UTC()
	inv := registry.Discover(d.Env)
	if srv, ferr := findServer(inv, e.Server.Name, e.Server.Client, e.Server.Scope); ferr == nil {
		out.Session = cache.NewInspector(d.Env, d.now(), inv.Servers).Inspect(ctx, srv).Session
	}
	d.Logger.Info("undo", "id", e.ID, "outcome", out.Outcome)
	return out, nil
}

// undoable reports whether some step of e is applied, in flight or still
// to be applied: what Undo would act on.
func undoable(e *journal.Entry) bool {
	for _, s := range e.Steps {
		switch {
		case s.Phase != "", s.Status == journal.StatusApplied, s.Status == journal.StatusWaiting, s.Status == journal.StatusPlanned:
			return true
		}
	}
	return false
}

// Text renders the undo.
func (o *UndoResetOutput) Text() string {
	var b strings.Builder
	if o.Verdict != "" {
		fmt.Fprintf(&b, "%s — %s\n", statusWord(o.Status), inert.Line(o.Verdict))
	}
	if o.Next != nil {
		fmt.Fprintf(&b, "Next: %s\n", inert.Line(forModel.actionText(*o.Next)))
	}
	r := o.Reset
	switch o.Outcome {
	case UndoAlready:
		fmt.Fprintf(&b, "Reset %s of %s has nothing left to undo (already undone, or it changed nothing); nothing changed now.\n", r.ID, serverRefText(r.Server))
	case UndoRefused:
		fmt.Fprintf(&b, "Undo of %s REFUSED for some store: %s\n", r.ID, o.Refused)
	default:
		fmt.Fprintf(&b, "Reset %s of %s undone: every record it changed is back as it was.\n", r.ID, serverRefText(r.Server))
	}
	writeSteps(&b, r.Steps, "  ")
	if o.Session != nil {
		fmt.Fprintf(&b, "Next Claude Code session: %s\n  %s\n", strings.ToUpper(o.Session.Action), o.Session.Reason)
	}
	return b.String()
}

// lead fills status, verdict and next: what a model reads first.
func (o *UndoResetOutput) lead() {
	name := o.Reset.Server.Name
	switch o.Outcome {
	case UndoRefused:
		o.Status, o.Verdict = string(diagnose.Error), "undo of "+o.Reset.ID+" refused: "+o.Refused
		o.Next = &diagnose.Action{Step: "tell the user why; the refusing store keeps its newer state and the backup stays in the journal"}
	case UndoAlready:
		o.Status, o.Verdict = diagnose.StatusOK, "nothing to undo for reset "+o.Reset.ID
	default:
		o.Status, o.Verdict = diagnose.StatusOK, "reset "+o.Reset.ID+" undone: every removed record of "+name+" is back"+undoNotes(o.Reset.Steps)
	}
	if o.Next == nil && name != "" {
		o.Next = &diagnose.Action{Step: "see what the client does with it now", Tool: "diagnose",
			Arguments: map[string]any{"name": name, "client": o.Reset.Server.Client}}
	}
}

// undoNotes is what the stores said about how they undid, for the verdict:
// Claude Desktop's Local Storage says whether it put the removed rows back
// (keeping what the app wrote since) or replaced the whole database.
func undoNotes(steps []StepView) string {
	var notes []string
	for _, s := range steps {
		if s.Status == journal.StatusUndone && s.Reason != "" {
			notes = append(notes, s.Store+": "+s.Reason)
		}
	}
	if len(notes) == 0 {
		return ""
	}
	return " (" + strings.Join(notes, "; ") + ")"
}
