package tools

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpmend/mcpmend/cache"
	"github.com/mcpmend/mcpmend/cache/credentials"
	"github.com/mcpmend/mcpmend/cache/journal"
	"github.com/mcpmend/mcpmend/cache/mcpremote"
	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/internal/inert"
	"github.com/mcpmend/mcpmend/registry"
	"github.com/mcpmend/mcpmend/tools/diagnose"
)

// ResetServerAuthInput names the server whose client memory to clear.
type ResetServerAuthInput struct {
	Name         string `json:"name" jsonschema:"the server's name, exactly as configured (case-sensitive)"`
	Client       string `json:"client,omitempty"`
	Scope        string `json:"scope,omitempty"`
	ForgetTokens bool   `json:"forget_tokens,omitempty" jsonschema:"also remove stored tokens and client secrets (like claude mcp logout): the next connection needs a new sign-in. Default false: tokens are kept"`
	DryRun       bool   `json:"dry_run,omitempty" jsonschema:"only list the exact records that would be removed; change nothing"`
}

// Outcomes of reset_server_auth.
const (
	OutcomeDryRun  = "dry-run"
	OutcomeNothing = "nothing-to-reset"
	OutcomeApplied = "applied"
	OutcomeWaiting = "waiting"
	OutcomeRefused = "refused"
	// OutcomeCancelled: the call was cancelled (a signal, the client); the
	// step in flight finished or rolled back, the stores already changed
	// were put back, and nothing resumes the rest.
	OutcomeCancelled = "cancelled"
)

// ResetServerAuthOutput says what was (or would be) removed, what waits,
// what the client will do next and how a running client picks it up.
type ResetServerAuthOutput struct {
	Status  string           `json:"status" jsonschema:"ok (done or nothing to do), warning (part waits for a locked store) or error (refused: nothing changed)"`
	Verdict string           `json:"verdict" jsonschema:"what happened, in one line"`
	Next    *diagnose.Action `json:"next,omitempty" jsonschema:"the one thing to do now: a tool call or a step for the user"`
	Server  registry.Server  `json:"server"`
	Outcome string           `json:"outcome" jsonschema:"dry-run, nothing-to-reset, applied, waiting (some store is locked; it applies later), refused (nothing was changed) or cancelled (the call was cancelled; every store is as before)"`
	ID      string           `json:"id,omitempty" jsonschema:"the reset's id in the journal, for reset_status and undo_reset"`
	Changes []journal.Change `json:"changes" jsonschema:"the records removed (or, with dry_run, that would be): store, key and kind (a dry run adds file and detail); never values"`
	Steps   []StepView       `json:"steps,omitempty" jsonschema:"per store: applied, waiting (with why) or failed (with why)"`
	Before  *cache.Session   `json:"before,omitempty" jsonschema:"Claude Code only: the next session's verdict before the reset"`
	Session *cache.Session   `json:"session,omitempty" jsonschema:"Claude Code only: the next session's verdict now, from a fresh read of every store"`
	// Remaining is what the stores still hold about the server afterwards.
	Remaining []store.Record `json:"remaining,omitempty" jsonschema:"what the stores still remember about the server (e.g. kept tokens)"`
	Damage    []store.Damage `json:"damage,omitempty"`
	Notes     []string       `json:"notes,omitempty" jsonschema:"what was deliberately left alone and why"`
	PickUp    []string       `json:"pick_up,omitempty" jsonschema:"how each running client picks the change up"`
	At        time.Time      `json:"at"`
	// Bridge is set only over MCP, where mcpmend knows the client running
	// the conversation.
	Bridge *BridgeOffer `json:"bridge,omitempty" jsonschema:"whether bridge_server can give this conversation the server's tools now"`

	forgetTokens bool   // asked for, so the rendered next step repeats it
	worker       string // the note on the apply-pending worker, one of Notes
	mentions     string // the note counting mere mentions (the diagnosis counted them too), one of Notes
}

func addResetServerAuth(ts *toolSet) {
	d := ts.d
	addTool(ts, &mcp.Tool{
		Name:  "reset_server_auth",
		Title: "Clear a client's memory of one MCP server",
		Description: `Clear what a client remembers about one MCP server so the same name connects afresh: no renaming, nothing lost, undoable. Call it when diagnose's next says so (stale-needs-auth: the server answers but the client skips it).

It removes, for that server only: Claude Code's needs-auth entry; its tokenless credentials entry (or, beside stored tokens, only the failure stamps); mcp-remote's registration and sign-in files; Claude Desktop's storage items whose key names the server. Stored tokens are kept unless forget_tokens is true (then the next connection needs a new sign-in). Configuration files are never changed.

It applies at once: every reset is journalled with byte-for-byte backups and undo_reset {"id"} puts everything back, so no dry run is needed; dry_run: true only lists the records (for a user who asks to see them first). A damaged store or a record rewritten meanwhile refuses the reset and changes nothing. While Claude Desktop runs it holds its storage: that part waits and applies as the user quits Desktop; reset_status shows it.

The result leads with status, verdict and next, then the records changed, the next session's verdict and pick_up: how each running client notices (a new session; /mcp → Reconnect in an open Claude Code). Example: {"name": "github"}.`,
		Annotations: &mcp.ToolAnnotations{DestructiveHint: ptr(true), IdempotentHint: true, OpenWorldHint: ptr(false)},
	}, nil, func(ctx context.Context, req *mcp.CallToolRequest, in ResetServerAuthInput) (*mcp.CallToolResult, *ResetServerAuthOutput, error) {
		out, err := ResetServerAuth(ctx, d, in)
		if err != nil {
			return nil, nil, err
		}
		if out.Outcome == OutcomeApplied || out.Outcome == OutcomeNothing {
			// The reset does not dial: the offer is bridge_server's to
			// confirm (it dials, and declines a server that does not answer).
			out.Bridge = bridgeOffer(d, req.Session, out.Server, true, out.Session)
			if out.Bridge != nil && out.Bridge.Offered && out.Outcome == OutcomeApplied {
				out.Next = &diagnose.Action{Step: out.Bridge.Next, Tool: out.Bridge.Tool, Arguments: out.Bridge.Args}
			}
		}
		res := text(out.Text())
		res.IsError = out.Outcome == OutcomeRefused || out.Outcome == OutcomeCancelled
		return res, out.brief(), nil
	})
}

// ResetServerAuth plans the reset of one server and, unless DryRun, applies
// it through the journal and re-reads every store. A store that cannot be
// read faithfully is an error (nothing changed); a store that refuses while
// applying gives outcome "refused", with every other store rolled back.
func ResetServerAuth(ctx context.Context, d *Deps, in ResetServerAuthInput) (*ResetServerAuthOutput, error) {
	out, err := resetServerAuth(ctx, d, in)
	if out != nil {
		out.lead()
	}
	return out, err
}

func resetServerAuth(ctx context.Context, d *Deps, in ResetServerAuthInput) (*ResetServerAuthOutput, error) {
	inv := registry.Discover(d.Env)
	srv, err := findServerOrConnector(ctx, d.Env, inv, in.Name, in.Client, in.Scope)
	if err != nil {
		return nil, err
	}
	before := cache.NewInspector(d.Env, d.now(), inv.Servers).Inspect(ctx, srv)
	req := store.ResetRequest{Server: srv, Configured: inv.Servers, ForgetTokens: in.ForgetTokens}
	muts, err := cache.PlanReset(ctx, d.Env, req, cache.DefaultResetPlanners(inv.Servers, nil))
	if err != nil {
		return nil, fmt.Errorf("reset %s: %w", srv.ID(), err)
	}
	out := &ResetServerAuthOutput{Server: srv, Changes: []journal.Change{}, Before: before.Session, Session: before.Session,
		Damage: before.Damage, At: d.now().UTC(), forgetTokens: in.ForgetTokens}
	for _, m := range muts {
		out.Changes = append(out.Changes, m.Describe()...)
	}
	out.Notes, out.mentions = keptNotes(before.Records, in.ForgetTokens)
	switch {
	case len(muts) == 0:
		out.Outcome = OutcomeNothing
		out.Remaining = memory(before.Records)
		return out, nil
	case in.DryRun:
		out.Outcome = OutcomeDryRun
		return out, nil
	}
	ref := journal.ServerRef{Name: srv.Name, Client: srv.Client, Scope: srv.Scope, File: srv.File}
	e, err := cache.RunReset(ctx, journal.Open(d.Env, d.Logger), ref, muts, journal.BeginOptions{ForgetTokens: in.ForgetTokens})
	if e == nil {
		return nil, fmt.Errorf("reset %s: %w", srv.ID(), err)
	}
	if err != nil {
		d.Logger.Error("reset", "id", e.ID, "err", err)
		out.Notes = append(out.Notes, "ROLLBACK INCOMPLETE: "+err.Error()+"; the reset's status shows each store")
	}
	out.ID = e.ID
	out.Steps = viewOf(e).Steps
	if r, err := journal.RetentionOf(d.Env); err == nil {
		if t := e.TokensExpire(r); !t.IsZero() {
			out.Notes = append(out.Notes, "the removed tokens are kept in the journal's private backup until "+t.Format(time.RFC3339)+
				" so the reset can be undone; then they are deleted and it cannot ("+journal.TokenWindowEnv+" sets the window)")
		}
	}
	out.Outcome = outcomeOf(e)
	if out.Outcome == OutcomeWaiting {
		note, started := startWorker(d)
		out.Notes = append(out.Notes, note)
		if started {
			out.worker = note // a model needs it only when it could not start
		}
	}
	// The answer re-reads the stores even when the call was cancelled: it is
	// the only place a cancelled reset says what it left.
	after := cache.NewInspector(d.Env, d.now(), inv.Servers).Inspect(context.WithoutCancel(ctx), srv)
	out.Session, out.Remaining, out.Damage = after.Session, memory(after.Records), after.Damage
	if out.Outcome != OutcomeRefused && out.Outcome != OutcomeCancelled {
		out.PickUp = pickUp(srv, out.Outcome == OutcomeWaiting, touchesDesktop(muts))
	}
	d.Logger.Info("reset", "id", e.ID, "server", srv.ID(), "outcome", out.Outcome)
	return out, nil
}

// outcomeOf condenses the journal entry after RunReset.
func outcomeOf(e *journal.Entry) string {
	if journal.Cancelled(e) {
		return OutcomeCancelled
	}
	if cache.Failed(e) {
		return OutcomeRefused
	}
	for _, s := range e.Steps {
		if s.Status == journal.StatusWaiting {
			return OutcomeWaiting
		}
	}
	return OutcomeApplied
}

// startWorker launches the detached apply-pending worker for waiting steps
// and says so, and whether it started.
func startWorker(d *Deps) (string, bool) {
	if d.StartWorker == nil {
		return "the waiting part is applied by `mcpmend apply-pending`, or by the next `mcpmend reset` or `mcpmend undo` or MCP session of `mcpmend serve`", false
	}
	pid, err := d.StartWorker(d.Env)
	if err != nil {
		d.Logger.Warn("starting apply-pending", "err", err)
		return "could not start the apply-pending worker (" + err.Error() + "); run `mcpmend apply-pending` to apply the waiting part (the next `mcpmend reset` or `mcpmend undo`, or MCP session of `mcpmend serve`, also tries)", false
	}
	return fmt.Sprintf("apply-pending (pid %d) waits for the locked store and applies the waiting part as soon as it is free", pid), true
}

// memory drops log evidence: what a store remembers, not what a log said.
func memory(recs []store.Record) []store.Record {
	var out []store.Record
	for _, r := range recs {
		if r.Store != store.MCPLogs {
			out = append(out, r)
		}
	}
	return out
}

// keptNotes says what a reset deliberately leaves; the note on mere
// mentions is also returned alone.
func keptNotes(recs []store.Record, forget bool) (notes []string, mentionNote string) {
	tokens, mentions := false, 0
	for _, r := range recs {
		switch {
		case !r.Resettable && r.Store != store.MCPLogs:
			mentions++
		case r.Kind == credentials.KindTokens || r.Kind == mcpremote.KindTokens || r.Kind == credentials.KindClientConfig ||
			r.Kind == credentials.KindOrphanedOAuth || r.Kind == credentials.KindOrphanedClientConfig:
			tokens = true
		}
	}
	if tokens && !forget {
		notes = append(notes, "stored tokens, client secrets and entries of earlier URLs are kept (and mcp-remote's registration beside its tokens); forget_tokens removes them too")
	}
	if mentions > 0 {
		mentionNote = fmt.Sprintf("%d record(s) only mention the server inside other data: left alone", mentions)
		notes = append(notes, mentionNote)
	}
	return notes, mentionNote
}

// touchesDesktop reports whether the reset changes Claude Desktop's store.
func touchesDesktop(muts []journal.Mutation) bool {
	for _, m := range muts {
		if m.Store() == store.Desktop {
			return true
		}
	}
	return false
}

// pickUp says how running clients notice the reset.
func pickUp(srv registry.Server, waiting, desktop bool) []string {
	var out []string
	if srv.Client == registry.ClaudeCode {
		// A running session never re-reads what it skipped: only a new one,
		// or /mcp → Reconnect in an open REPL, dials the server again.
		out = append(out, "Claude Code: new sessions (claude, claude -p, Claude Desktop's Code chat) connect to "+srv.Name+
			" again; an open one needs /mcp → "+srv.Name+" → Reconnect")
	}
	if runsMCPRemote(srv) {
		out = append(out, "mcp-remote reads its files when it starts: restart the server in its client (Claude Desktop: quit and relaunch; Claude Code: a new session or /mcp → Reconnect). Without a stored registration or tokens it opens the browser to sign in.")
	}
	if srv.Client == registry.ClaudeDesktop || desktop {
		msg := "Claude Desktop reads its state at launch: quit it completely (⌘Q on macOS, File → Exit on Windows) and relaunch it; " + srv.Name + " is dialled again under the same name."
		if waiting {
			msg = quitDesktop(srv.Name)
		}
		out = append(out, msg)
	}
	return out
}

// quitDesktop is what the user does when Desktop's part of a reset waits.
func quitDesktop(name string) string {
	return "Quit Claude Desktop (⌘Q on macOS, File → Exit on Windows); the reset applies as it exits; relaunch and " + name + " is dialled again under the same name."
}

func runsMCPRemote(srv registry.Server) bool {
	if srv.Transport != registry.Stdio {
		return false
	}
	args := make([]string, len(srv.Raw.Args))
	for i, a := range srv.Raw.Args {
		args[i] = a.Reveal()
	}
	_, ok := mcpremote.Args(srv.Command, args)
	return ok
}

// Text renders the reset for a model or a person.
func (o *ResetServerAuthOutput) Text() string { return o.render(forModel) }

// HumanText renders the reset for a person: next steps are commands.
func (o *ResetServerAuthOutput) HumanText() string { return o.render(forHuman) }

func (o *ResetServerAuthOutput) render(au audience) string {
	var b strings.Builder
	s := o.Server
	if o.Verdict != "" {
		fmt.Fprintf(&b, "%s — %s\n", statusWord(o.Status), inert.Line(o.Verdict))
	}
	if o.Next != nil {
		fmt.Fprintf(&b, "Next: %s\n", inert.Line(au.actionText(*o.Next)))
	}
	fmt.Fprintf(&b, "%s  %s  %s %s\n", inert.Line(s.Name), s.Transport, s.Client, scopeText(s))
	switch o.Outcome {
	case OutcomeNothing:
		b.WriteString("Nothing to reset: no store holds anything a reset removes for this server.\n")
	case OutcomeDryRun:
		fmt.Fprintf(&b, "Dry run — %d record(s) would be removed (nothing was changed):\n", len(o.Changes))
		for _, c := range o.Changes {
			writeChange(&b, c, "  ")
		}
	case OutcomeRefused:
		fmt.Fprintf(&b, "REFUSED (reset %s): a store refused, so every part already applied was put back — see each store:\n", o.ID)
		writeSteps(&b, o.Steps, "  ")
	case OutcomeCancelled:
		fmt.Fprintf(&b, "CANCELLED (reset %s): the call was cancelled; the store in progress finished or rolled back, every part already applied was put back, and nothing resumes the rest — see each store:\n", o.ID)
		writeSteps(&b, o.Steps, "  ")
	default:
		fmt.Fprintf(&b, "Reset %s: %s\n", o.ID, strings.ToUpper(o.Outcome))
		writeSteps(&b, o.Steps, "  ")
	}
	for _, n := range o.Notes {
		fmt.Fprintf(&b, "Note: %s\n", n)
	}
	if o.Session != nil {
		label := "Next Claude Code session"
		if o.Outcome == OutcomeDryRun {
			label = "Next Claude Code session (as things stand; the dry run changed nothing)"
		}
		fmt.Fprintf(&b, "%s: %s\n  %s\n", label, strings.ToUpper(o.Session.Action), o.Session.Reason)
	}
	for _, dm := range o.Damage {
		fmt.Fprintf(&b, "DAMAGED %s %s: %s\n", dm.Store, dm.File, dm.Reason)
	}
	if len(o.Remaining) > 0 && o.Outcome != OutcomeDryRun {
		b.WriteString("Still remembered:\n")
		for _, r := range o.Remaining {
			fmt.Fprintf(&b, "  %s %s — %s\n", r.Kind, inert.Line(r.Key), inert.Line(r.Detail))
		}
	}
	for _, p := range o.PickUp {
		fmt.Fprintf(&b, "Pick-up: %s\n", p)
	}
	writeBridge(&b, o.Bridge, nil)
	switch o.Outcome {
	case OutcomeApplied, OutcomeWaiting:
		fmt.Fprintf(&b, "Undo: %s.\n", au.call("undo_reset", map[string]any{"id": o.ID}))
		if o.Outcome == OutcomeWaiting {
			fmt.Fprintf(&b, "Status: %s.\n", au.call("reset_status", map[string]any{"id": o.ID}))
		}
	}
	return b.String()
}

// lead fills status, verdict and next from the outcome: what a model reads
// first.
func (o *ResetServerAuthOutput) lead() {
	name := o.Server.Name
	confirm := &diagnose.Action{Step: "tell the user how their client picks the change up (pick_up), then confirm", Tool: "diagnose", Arguments: serverArgs(o.Server)}
	switch o.Outcome {
	case OutcomeNothing:
		o.Status, o.Verdict = diagnose.StatusOK, "nothing to reset: no store remembers a failure of "+name
		o.Next = &diagnose.Action{Step: "the client's memory is not the problem; diagnose it", Tool: "diagnose", Arguments: serverArgs(o.Server)}
	case OutcomeDryRun:
		o.Status, o.Verdict = diagnose.StatusOK, fmt.Sprintf("dry run: %d record(s) would be removed; nothing changed", len(o.Changes))
		o.Next = &diagnose.Action{Step: "apply it", Tool: "reset_server_auth", Arguments: resetArgs(o)}
	case OutcomeRefused:
		o.Status, o.Verdict = string(diagnose.Error), "refused: a store refused, every part applied was put back; nothing changed"
		o.Next = &diagnose.Action{Step: "tell the user why (steps) and what to fix; nothing was changed"}
	case OutcomeCancelled:
		o.Status, o.Verdict = string(diagnose.Error), "reset "+o.ID+" cancelled: the stores already changed were put back"
		o.Next = &diagnose.Action{Step: "see what each store holds now", Tool: "reset_status", Arguments: map[string]any{"id": o.ID}}
	case OutcomeWaiting:
		o.Status, o.Verdict = string(diagnose.Warning), waitingVerdict(o.Steps)
		o.Next = &diagnose.Action{Step: "tell the user: " + quitDesktop(name),
			Tool: "reset_status", Arguments: map[string]any{"id": o.ID}}
	default:
		o.Status, o.Verdict = diagnose.StatusOK, fmt.Sprintf("reset %s applied: %d record(s) removed; undo_reset puts them back", o.ID, len(o.Changes))
		o.Next = confirm
	}
}

// waitingVerdict says what applied and what waits. Only Claude Desktop's
// Local Storage waits (its lock is the only one a reset waits for).
func waitingVerdict(steps []StepView) string {
	for _, st := range steps {
		if st.Status == journal.StatusApplied {
			return "applied now except Claude Desktop's part, which waits until Claude Desktop quits"
		}
	}
	return "nothing applied yet: it waits until Claude Desktop quits"
}

// brief is the result as a model reads it: each record changed once, by
// store, key and kind (files and descriptions are the CLI's and
// reset_status's; the diagnosis already listed them; a dry run keeps them); a step's store and
// status only when not every step applied; the next session's verdict
// without the gate records the changes already name, and without the
// per-install verdicts when they all agree with it; of what remains, only
// what the reset left on purpose (the notes count the mere mentions); the
// server by name, client and scope. The CLI's --json keeps everything.
func (o *ResetServerAuthOutput) brief() *ResetServerAuthOutput {
	c := *o
	c.Server = briefServer(o.Server)
	c.Changes = make([]journal.Change, len(o.Changes))
	removed := map[string]bool{}
	for i, ch := range o.Changes {
		removed[ch.Store+"\x00"+ch.Key] = true
		c.Changes[i] = journal.Change{Store: ch.Store, Key: ch.Key, Kind: ch.Kind, Action: ch.Action}
		if o.Outcome == OutcomeDryRun {
			c.Changes[i] = ch // listing the records is what a dry run is for
		}
	}
	c.Steps = make([]StepView, len(o.Steps))
	for i, st := range o.Steps {
		st.Changes, st.AppliedAt = nil, nil
		if st.Status == journal.StatusWaiting && c.Outcome == OutcomeWaiting {
			st.Reason = "" // next says what frees it; reset_status keeps the reason
		}
		c.Steps[i] = st
	}
	c.Notes = slices.DeleteFunc(slices.Clone(o.Notes), func(n string) bool { return n != "" && (n == o.worker || n == o.mentions) })
	c.Session = briefSession(o.Session)
	c.Before = nil // the verdict and the changes say what it was
	c.Remaining = nil
	for _, r := range o.Remaining {
		if r.Resettable && !removed[r.Store+"\x00"+r.Key] || !r.Resettable && r.Store != store.Desktop {
			c.Remaining = append(c.Remaining, r)
		}
	}
	if c.Outcome == OutcomeApplied {
		c.Steps = nil // every step applied: the outcome says so
	}
	c.PickUp = nil
	for _, p := range o.PickUp {
		if c.Next == nil || !strings.Contains(c.Next.Step, p) { // said once, as next's step
			c.PickUp = append(c.PickUp, p)
		}
	}
	if c.Bridge != nil && (!c.Bridge.Offered || c.Next != nil && c.Next.Tool == c.Bridge.Tool) {
		// Not offered: pick_up already says the server connects in the
		// next session. Offered: next is the bridge_server call.
		c.Bridge = nil
	}
	return &c
}

// briefServer names the server; where its entry lives is the diagnosis's.
func briefServer(s registry.Server) registry.Server {
	return registry.Server{Name: s.Name, Client: s.Client, Scope: s.Scope, Project: s.Project}
}

// briefSession drops the gate records, and the per-install verdicts when
// every install does what the session's action says (the reason names
// them).
func briefSession(s *cache.Session) *cache.Session {
	c := withoutGates(s)
	if c == nil {
		return nil
	}
	for _, v := range c.Clients {
		if v.Action != c.Action {
			return c
		}
	}
	c.Clients = nil
	return c
}

func withoutGates(s *cache.Session) *cache.Session {
	if s == nil {
		return nil
	}
	c := *s
	c.Gates = nil
	return &c
}
