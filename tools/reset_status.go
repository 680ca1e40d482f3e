package tools

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpmend/mcpmend/cache/journal"
	"github.com/mcpmend/mcpmend/internal/inert"
	"github.com/mcpmend/mcpmend/tools/diagnose"
)

// ResetStatusInput picks one reset, or none for all of them.
type ResetStatusInput struct {
	ID string `json:"id,omitempty" jsonschema:"a reset's id as reset_server_auth returned it; omit to list every reset"`
}

// ResetStatusOutput is the journal's account of resets.
type ResetStatusOutput struct {
	Status  string           `json:"status" jsonschema:"ok, warning (a reset waits for a locked store) or error (a reset failed)"`
	Verdict string           `json:"verdict" jsonschema:"the journal in one line"`
	Next    *diagnose.Action `json:"next,omitempty" jsonschema:"the one thing to do now, when anything"`
	Journal string           `json:"journal" jsonschema:"the journal directory (entries and backups, private to the user)"`
	Resets  []ResetView      `json:"resets" jsonschema:"oldest first; one element when id was given"`
	Worker  int              `json:"worker_pid,omitempty" jsonschema:"pid of the apply-pending worker waiting for locked stores, when one runs"`
	// Damaged lists entries whose entry.json cannot be read: never run,
	// shown so a damaged journal is not mistaken for an empty one.
	Damaged []journal.DamagedEntry `json:"damaged,omitempty" jsonschema:"journal entries that cannot be read (never run); their backups stay on disk"`
	// Retention is how long entries and token backups are kept.
	Retention RetentionView `json:"retention" jsonschema:"how long the journal keeps resets and their backups"`
}

// RetentionView is the journal's retention, as a person sets it.
type RetentionView struct {
	Entries string `json:"entries" jsonschema:"a reset and its backups are removed this long after its last change (MCPMEND_RETENTION; never = kept)"`
	Tokens  string `json:"forget_tokens_backups" jsonschema:"backups of tokens removed with forget_tokens are deleted this long after the reset, which then cannot be undone (MCPMEND_FORGET_TOKENS_WINDOW)"`
}

// ResetView is one reset as the journal records it, without the internal
// spec (paths and hashes only a later mcpmend needs).
type ResetView struct {
	ID      string            `json:"id"`
	Server  journal.ServerRef `json:"server"`
	Status  string            `json:"status" jsonschema:"overall: applied, waiting, failed, undone, partly-undone, in-progress or planned"`
	Created time.Time         `json:"created"`
	Updated time.Time         `json:"updated"`
	Steps   []StepView        `json:"steps"`
	// Expires is when a prune removes the reset with its backups.
	Expires *time.Time `json:"expires,omitempty" jsonschema:"when mcpmend prune (also run by reset, undo and apply-pending) removes this reset and its backups; it can no longer be undone after"`
	// TokenBackupsUntil is when the backups of a forget_tokens reset go.
	TokenBackupsUntil *time.Time `json:"token_backups_until,omitempty" jsonschema:"forget_tokens resets: the removed tokens' backups are deleted at this time, and the reset can no longer be undone"`
	// BackupsDropped is when they went.
	BackupsDropped *time.Time `json:"backups_dropped,omitempty" jsonschema:"forget_tokens resets: when the backups were deleted; undo is no longer possible"`

	entry *journal.Entry // what the times above are computed from
}

// StepView is one store's part of a reset.
type StepView struct {
	Store     string           `json:"store"`
	Status    journal.Status   `json:"status" jsonschema:"planned, waiting, applied, failed, undone or cancelled (never started; nothing resumes it)"`
	Reason    string           `json:"reason,omitempty" jsonschema:"why it waits or failed, or what undo refused"`
	InFlight  string           `json:"in_flight,omitempty" jsonschema:"set when a process was interrupted in this phase; the next mcpmend apply-pending, reset or undo, or MCP session of mcpmend serve, finishes or rolls it back"`
	Changes   []journal.Change `json:"changes,omitempty"`
	AppliedAt *time.Time       `json:"applied_at,omitempty"`
	UndoneAt  *time.Time       `json:"undone_at,omitempty"`
}

func addResetStatus(ts *toolSet) {
	d := ts.d
	addTool(ts, &mcp.Tool{
		Name:  "reset_status",
		Title: "Where mcpmend's resets stand",
		Description: `List the resets reset_server_auth made (or one, by id): per store whether the change was applied, waits for a locked store (Claude Desktop running), failed (and why; nothing was changed), or was undone, with the records each step changed, and when each reset expires (it is then pruned and can no longer be undone).

Read-only. Use it after reset_server_auth reported something waiting, or to find the id for undo_reset. Example: {} or {"id": "20261126T101500Z-1a2b3c4d"}.`,
		Annotations: &mcp.ToolAnnotations{ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: ptr(false), DestructiveHint: ptr(false)},
	}, nil, func(ctx context.Context, _ *mcp.CallToolRequest, in ResetStatusInput) (*mcp.CallToolResult, *ResetStatusOutput, error) {
		out, err := ResetStatus(ctx, d, in)
		if err != nil {
			return nil, nil, err
		}
		out.lead()
		return text(out.Text()), out, nil
	})
}

// ResetStatus reads the journal.
func ResetStatus(_ context.Context, d *Deps, in ResetStatusInput) (*ResetStatusOutput, error) {
	j := journal.Open(d.Env, d.Logger)
	r, err := journal.RetentionOf(d.Env)
	if err != nil {
		return nil, err
	}
	out := &ResetStatusOutput{Journal: j.Dir, Resets: []ResetView{},
		Retention: RetentionView{Entries: journal.FormatRetention(r.Entries), Tokens: journal.FormatRetention(r.Tokens)}}
	defer func() {
		for i := range out.Resets {
			out.Resets[i].retention(r)
		}
	}()
	if in.ID != "" {
		e, err := j.Get(in.ID)
		if err != nil {
			return nil, fmt.Errorf("%w (reset_status without an id lists every reset)", err)
		}
		out.Resets = append(out.Resets, viewOf(e))
	} else {
		es, damaged, err := j.ListAll()
		if err != nil {
			return nil, err
		}
		out.Damaged = damaged
		for _, e := range es {
			out.Resets = append(out.Resets, viewOf(e))
		}
	}
	if running, pid := journal.WorkerRunning(d.Env); running {
		out.Worker = pid
	}
	return out, nil
}

func viewOf(e *journal.Entry) ResetView {
	v := ResetView{ID: e.ID, Server: e.Server, Created: e.Created, Updated: e.Updated, Status: overall(e), Steps: []StepView{},
		BackupsDropped: e.BackupsDropped, entry: e}
	for _, s := range e.Steps {
		ch := s.Changes
		if ch == nil {
			ch = []journal.Change{}
		}
		v.Steps = append(v.Steps, StepView{Store: s.Store, Status: s.Status, Reason: s.Reason, InFlight: s.Phase,
			Changes: ch, AppliedAt: s.AppliedAt, UndoneAt: s.UndoneAt})
	}
	return v
}

// retention fills when the reset and its token backups go under r.
func (v *ResetView) retention(r journal.Retention) {
	if v.entry == nil {
		return
	}
	if t := v.entry.Expires(r); !t.IsZero() {
		v.Expires = &t
	}
	if t := v.entry.TokensExpire(r); !t.IsZero() && v.BackupsDropped == nil {
		v.TokenBackupsUntil = &t
	}
}

// overall condenses a reset's steps into one word.
func overall(e *journal.Entry) string {
	n := map[journal.Status]int{}
	inFlight := false
	for _, s := range e.Steps {
		n[s.Status]++
		inFlight = inFlight || s.Phase != ""
	}
	all := len(e.Steps)
	switch {
	case inFlight:
		return "in-progress"
	case n[journal.StatusCancelled] > 0:
		return "cancelled"
	case n[journal.StatusFailed] > 0:
		return "failed"
	case n[journal.StatusWaiting] > 0:
		return "waiting"
	case n[journal.StatusPlanned] > 0:
		return "planned"
	case n[journal.StatusUndone] == all:
		return "undone"
	case n[journal.StatusUndone] > 0:
		return "partly-undone"
	}
	return "applied"
}

// Text lists resets one a line, or one reset step by step.
func (o *ResetStatusOutput) Text() string {
	var b strings.Builder
	if o.Verdict != "" {
		fmt.Fprintf(&b, "%s — %s\n", statusWord(o.Status), inert.Line(o.Verdict))
	}
	if o.Next != nil {
		fmt.Fprintf(&b, "Next: %s\n", inert.Line(forModel.actionText(*o.Next)))
	}
	if len(o.Resets) == 0 && len(o.Damaged) == 0 {
		fmt.Fprintf(&b, "No resets recorded (journal %s).\n", o.Journal)
	}
	for _, d := range o.Damaged {
		fmt.Fprintf(&b, "%s  DAMAGED: %s — never run; its backups stay in %s\n", d.ID, d.Reason, o.Journal)
	}
	for _, r := range o.Resets {
		fmt.Fprintf(&b, "%s  %s  %s  %s%s\n", inert.Line(r.ID), inert.Line(serverRefText(r.Server)), r.Status, r.Created.Local().Format(time.DateTime), keptText(r))
		if len(o.Resets) == 1 {
			writeSteps(&b, r.Steps, "  ")
		}
	}
	if len(o.Resets) > 0 {
		fmt.Fprintf(&b, "Resets are kept %s after their last change, backups of tokens removed with --forget-tokens %s; mcpmend prune removes what expired.\n",
			o.Retention.Entries, o.Retention.Tokens)
	}
	if o.Worker > 0 {
		fmt.Fprintf(&b, "apply-pending worker running (pid %d): it applies waiting steps once their store is free.\n", o.Worker)
	}
	return b.String()
}

// keptText says how long a reset, and its token backups, are kept.
func keptText(r ResetView) string {
	var parts []string
	if r.Expires != nil {
		parts = append(parts, "kept until "+r.Expires.Local().Format(time.DateOnly))
	}
	if r.TokenBackupsUntil != nil {
		parts = append(parts, "token backups until "+r.TokenBackupsUntil.Local().Format(time.DateTime))
	}
	if r.BackupsDropped != nil {
		parts = append(parts, "token backups deleted "+r.BackupsDropped.Local().Format(time.DateOnly)+": cannot be undone")
	}
	if len(parts) == 0 {
		return ""
	}
	return "  (" + strings.Join(parts, "; ") + ")"
}

func serverRefText(s journal.ServerRef) string {
	if s.Client == "" {
		return s.Name
	}
	return s.Client + "/" + s.Scope + "/" + s.Name
}

// writeSteps renders steps with their changes.
func writeSteps(b *strings.Builder, steps []StepView, indent string) {
	for _, s := range steps {
		fmt.Fprintf(b, "%s%s: %s", indent, s.Store, strings.ToUpper(string(s.Status)))
		if s.InFlight != "" {
			fmt.Fprintf(b, " (interrupted while %s)", s.InFlight)
		}
		if s.Reason != "" {
			fmt.Fprintf(b, " — %s", s.Reason)
		}
		b.WriteString("\n")
		for _, c := range s.Changes {
			writeChange(b, c, indent+"  ")
		}
	}
}

func writeChange(b *strings.Builder, c journal.Change, indent string) {
	fmt.Fprintf(b, "%s%s %s in %s", indent, c.Action, inert.Line(c.Key), inert.Line(c.File))
	if c.Detail != "" {
		fmt.Fprintf(b, " — %s", c.Detail)
	}
	b.WriteString("\n")
}

// lead fills status, verdict and next from the newest reset: what a model
// reads first.
func (o *ResetStatusOutput) lead() {
	o.Status = diagnose.StatusOK
	if len(o.Resets) == 0 {
		o.Verdict = "no resets recorded"
		return
	}
	r := o.Resets[len(o.Resets)-1]
	o.Verdict = fmt.Sprintf("%d reset(s); newest %s of %s: %s", len(o.Resets), r.ID, r.Server.Name, r.Status)
	switch r.Status {
	case "waiting":
		o.Status = string(diagnose.Warning)
		o.Next = &diagnose.Action{Step: "the waiting part applies when the client holding the store exits: tell the user to quit Claude Desktop completely (Cmd+Q on macOS, File → Exit on Windows), then relaunch it"}
	case "failed":
		o.Status = string(diagnose.Error)
		o.Next = &diagnose.Action{Step: "tell the user why each store failed (steps); nothing else was changed"}
	}
}
