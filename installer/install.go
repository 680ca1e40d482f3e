package installer

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/mcpmend/mcpmend/cache/journal"
	"github.com/mcpmend/mcpmend/internal/lockedfile"
	"github.com/mcpmend/mcpmend/registry"
)

// Options is what `mcpmend install` and `mcpmend uninstall` were asked.
type Options struct {
	Uninstall bool
	// Clients to change; empty means every client found on this machine.
	Clients []string
	DryRun  bool
	// Force replaces (install) or removes (uninstall) an mcpmend entry
	// that differs from the one install writes.
	Force bool
	// Command is the absolute path written into each entry (RunningBinary).
	Command string
}

// Outcomes of one client.
const (
	Installed        = "installed"
	Replaced         = "replaced"
	AlreadyInstalled = "already-installed"
	Removed          = "removed"
	NotInstalled     = "not-installed"
	Refused          = "refused"
	Failed           = "failed"
	WouldAdd         = "would-add"
	WouldReplace     = "would-replace"
	WouldRemove      = "would-remove"
)

// ClientResult is what happened in one client's file.
type ClientResult struct {
	Client  string          `json:"client"`
	File    string          `json:"file"`
	Outcome string          `json:"outcome"`
	Message string          `json:"message,omitempty"`
	Entry   json.RawMessage `json:"entry,omitempty"` // the entry install writes
}

// Result is the whole run.
type Result struct {
	Action  string `json:"action"` // install or uninstall
	Command string `json:"command"`
	DryRun  bool   `json:"dry_run,omitempty"`
	// Searched lists the clients looked for when none was named, found or not.
	Searched []Searched     `json:"searched,omitempty"`
	Clients  []ClientResult `json:"clients"`
	// JournalID undoes the run: mcpmend undo JournalID.
	JournalID string `json:"journal_id,omitempty"`
}

// Searched is one client looked for on this machine.
type Searched struct {
	Client string `json:"client"`
	Dir    string `json:"dir"`
	Found  bool   `json:"found"`
}

// Failed reports whether some client was refused or failed.
func (r *Result) Failed() bool {
	for _, c := range r.Clients {
		if c.Outcome == Refused || c.Outcome == Failed {
			return true
		}
	}
	return false
}

// Run plans the change for every chosen client, then (unless DryRun) applies
// the changes as one journal entry: `mcpmend undo <JournalID>` reverts all.
func Run(ctx context.Context, env registry.Env, log *slog.Logger, opt Options) (*Result, error) {
	res := &Result{Action: "install", Command: opt.Command, DryRun: opt.DryRun, Clients: []ClientResult{}}
	if opt.Uninstall {
		res.Action = "uninstall"
	}
	targets, err := chooseTargets(env, opt.Clients, res)
	if err != nil {
		return res, err
	}
	var muts []journal.Mutation
	var idx []int // result index of each mutation
	for _, t := range targets {
		cr, m := plan(t, opt)
		res.Clients = append(res.Clients, cr)
		if m != nil {
			muts = append(muts, m)
			idx = append(idx, len(res.Clients)-1)
		}
	}
	if opt.DryRun || len(muts) == 0 {
		return res, nil
	}
	j := journal.Open(env, log)
	e, err := j.Begin(journal.ServerRef{Name: Name, Scope: res.Action}, muts, journal.BeginOptions{})
	if err != nil {
		return res, err
	}
	res.JournalID = e.ID
	if e, err = j.Apply(ctx, e.ID); err != nil {
		return res, err
	}
	for i, s := range e.Steps {
		cr := &res.Clients[idx[i]]
		if s.Status != journal.StatusApplied {
			cr.Outcome, cr.Message = Failed, s.Reason
		}
	}
	return res, nil
}

// chooseTargets resolves the named clients, or finds every installed one.
func chooseTargets(env registry.Env, names []string, res *Result) ([]registry.UserConfigFile, error) {
	var out []registry.UserConfigFile
	if len(names) == 0 {
		for _, c := range registry.Clients() {
			u, _ := registry.UserConfig(env, c)
			res.Searched = append(res.Searched, Searched{Client: c, Dir: u.Dir, Found: u.Found()})
			if u.Found() {
				out = append(out, u)
			}
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("no MCP client found on this machine (looked for %s); name one with --client", lookedAt(res.Searched))
		}
		return out, nil
	}
	for _, n := range names {
		u, ok := registry.UserConfig(env, n)
		if !ok {
			return nil, fmt.Errorf("unknown client %q: use one of %s", n, strings.Join(registry.Clients(), ", "))
		}
		if !slices.ContainsFunc(out, func(o registry.UserConfigFile) bool { return o.Client == n }) {
			out = append(out, u)
		}
	}
	return out, nil
}

func lookedAt(s []Searched) string {
	parts := make([]string, len(s))
	for i, x := range s {
		parts[i] = x.Client + " in " + x.Dir
	}
	return strings.Join(parts, ", ")
}

// plan reads one client's file and decides what to do there.
func plan(u registry.UserConfigFile, opt Options) (ClientResult, journal.Mutation) {
	want := EntryFor(u.Client, opt.Command)
	cr := ClientResult{Client: u.Client, File: u.Path, Entry: want}
	snap, err := lockedfile.Read(u.Path)
	if err != nil {
		cr.Outcome, cr.Message = Failed, err.Error()
		return cr, nil
	}
	var cur json.RawMessage
	ok := false
	if snap.Exists {
		if cur, ok, err = getEntry(u.Format, snap.Data, u.Servers, Name); err != nil {
			cr.Outcome, cr.Message = Refused, fmt.Sprintf("%s does not parse (%v); nothing was changed — fix the file first", u.Path, err)
			return cr, nil
		}
	}
	m := &EntryChange{Client: u.Client, File: u.Path, Format: u.Format, Container: u.Servers, Name: Name,
		Before: canonicalHash(cur, ok)}
	if opt.Uninstall {
		cr.Entry = nil
		return planRemove(cr, m, cur, ok, want, opt)
	}
	switch {
	case !ok:
		m.Action, m.After = "add", want
		cr.Outcome = pick(opt.DryRun, WouldAdd, Installed)
	case sameEntry(cur, want):
		cr.Outcome, cr.Message = AlreadyInstalled, "an identical mcpmend entry is there; nothing was written"
		return cr, nil
	case !opt.Force:
		cr.Outcome = Refused
		cr.Message = fmt.Sprintf("%s already has an entry named %s that differs (%s) from the one install writes (%s); "+
			"nothing was changed — run again with --force to replace it", u.Path, Name, describeEntry(cur), describeEntry(want))
		return cr, nil
	default:
		m.Action, m.After = "replace", want
		cr.Outcome = pick(opt.DryRun, WouldReplace, Replaced)
	}
	return cr, m
}

func planRemove(cr ClientResult, m *EntryChange, cur json.RawMessage, ok bool, want json.RawMessage, opt Options) (ClientResult, journal.Mutation) {
	switch {
	case !ok:
		cr.Outcome, cr.Message = NotInstalled, "no mcpmend entry; nothing to remove"
		return cr, nil
	case !sameEntry(cur, want) && !opt.Force:
		cr.Outcome = Refused
		cr.Message = fmt.Sprintf("the %s entry in %s (%s) is not the one install writes (%s), so it was not removed; "+
			"run again with --force to remove it anyway", Name, cr.File, describeEntry(cur), describeEntry(want))
		return cr, nil
	}
	m.Action = "remove"
	cr.Outcome = pick(opt.DryRun, WouldRemove, Removed)
	return cr, m
}

func pick(dry bool, ifDry, ifReal string) string {
	if dry {
		return ifDry
	}
	return ifReal
}

// Text renders the result for a person.
func (r *Result) Text() string {
	var b strings.Builder
	if len(r.Searched) > 0 {
		var found, missing []string
		for _, s := range r.Searched {
			if s.Found {
				found = append(found, s.Client)
			} else {
				missing = append(missing, s.Client)
			}
		}
		fmt.Fprintf(&b, "Found on this machine: %s", strings.Join(found, ", "))
		if len(missing) > 0 {
			fmt.Fprintf(&b, " (not found: %s)", strings.Join(missing, ", "))
		}
		b.WriteString("\n")
	}
	if r.Action == "install" {
		fmt.Fprintf(&b, "Entry: %s serve\n", r.Command)
	}
	w := 0
	for _, c := range r.Clients {
		w = max(w, len(c.Client))
	}
	for _, c := range r.Clients {
		fmt.Fprintf(&b, "  %-*s  %-17s  %s\n", w, c.Client, c.Outcome, c.File)
		if c.Message != "" && c.Outcome != AlreadyInstalled && c.Outcome != NotInstalled {
			fmt.Fprintf(&b, "  %*s  %s\n", w, "", c.Message)
		}
	}
	switch {
	case r.DryRun:
		b.WriteString("Dry run: nothing was written.\n")
	case r.JournalID != "":
		fmt.Fprintf(&b, "Undo with: mcpmend undo %s\n", r.JournalID)
		if r.Action == "install" {
			b.WriteString(pickUp(r.Clients))
		}
	}
	return b.String()
}

// pickUp says how each changed client loads its new entry: the apps read
// their config at launch, the CLIs at every session start.
func pickUp(clients []ClientResult) string {
	var restart, session []string
	for _, c := range clients {
		if c.Outcome != Installed && c.Outcome != Replaced {
			continue
		}
		switch c.Client {
		case registry.ClaudeCode, registry.Codex, registry.Gemini:
			session = append(session, c.Client)
		default:
			restart = append(restart, c.Client)
		}
	}
	var b strings.Builder
	if len(restart) > 0 {
		fmt.Fprintf(&b, "Restart %s to load it.\n", strings.Join(restart, ", "))
	}
	if len(session) > 0 {
		fmt.Fprintf(&b, "New %s sessions load it at start.\n", strings.Join(session, ", "))
	}
	return b.String()
}
