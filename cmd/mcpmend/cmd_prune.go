package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mcpmend/mcpmend/cache"
	"github.com/mcpmend/mcpmend/cache/journal"
	"github.com/mcpmend/mcpmend/cache/mutation"
	"github.com/mcpmend/mcpmend/internal/homeowner"
)

// pruneOutput is what `mcpmend prune` did (or, with --dry-run, would do).
type pruneOutput struct {
	*journal.PruneReport
	Journal      string   `json:"journal"`
	TempsRemoved []string `json:"temps_removed,omitempty"`
	// ConfigBackups are expired whole-file copies the config editor saved.
	ConfigBackups []string `json:"config_backups_removed,omitempty"`
}

// newPruneCmd removes what the journal no longer keeps. It acts by
// default, like reset, undo and apply-pending do at their start: it only
// ever removes what has expired, which a person running it wants gone;
// --dry-run lists it instead.
func newPruneCmd(a *app) *cobra.Command {
	var dryRun bool
	var keep, tokens string
	cmd := &cobra.Command{
		Use:   "prune",
		Short: "remove expired resets and their backups, and what killed runs left",
		Long: `Remove the resets whose retention has passed, with their backups (after that they cannot be
undone), delete the backups of tokens removed with --forget-tokens once their undo window has passed,
and clear the temp files killed mcpmend runs left (never those of a running process).

Resets are kept 30 days after their last change (MCPMEND_RETENTION, or --retention: 30d, 72h,
never); token backups 7 days (MCPMEND_FORGET_TOKENS_WINDOW, or --forget-tokens-window). A reset that
is pending or in progress, one another mcpmend is working on, one an older kept reset overlaps (undo
order), and a damaged journal entry are never removed. reset, undo and apply-pending run the same
pass at their start; mcpmend status shows when each reset expires. --dry-run only lists.`,
		Example: "  mcpmend prune --dry-run\n  mcpmend prune\n  mcpmend prune --retention 7d",
		Args:    noArgs(""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := retentionFlags(a, keep, tokens)
			if err != nil {
				return err
			}
			out, err := prune(a, r, journal.PruneOptions{DryRun: dryRun})
			if err != nil {
				return err
			}
			return a.emit(out, pruneText(out))
		},
	}
	f := cmd.Flags()
	f.BoolVar(&dryRun, "dry-run", false, "only list what would be removed")
	f.StringVar(&keep, "retention", "", "keep resets this long after their last change (`AGE`: 30d, 72h or never; default $"+journal.RetentionEnv+", else 30d)")
	f.StringVar(&tokens, "forget-tokens-window", "", "keep backups of tokens removed with --forget-tokens this long (`AGE`; default $"+journal.TokenWindowEnv+", else 7d)")
	addAsOwnerFlag(cmd, a)
	return cmd
}

// retentionFlags is the environment's retention with the flags over it.
func retentionFlags(a *app, keep, tokens string) (journal.Retention, error) {
	r, err := journal.RetentionOf(a.deps.Env)
	if err != nil {
		return r, err
	}
	for _, f := range []struct {
		name, val string
		dst       *time.Duration
	}{{"retention", keep, &r.Entries}, {"forget-tokens-window", tokens, &r.Tokens}} {
		if f.val == "" {
			continue
		}
		d, err := journal.ParseRetention(f.val)
		if err != nil {
			return r, usagef("--%s %q: %v", f.name, f.val, err)
		}
		*f.dst = d
	}
	return r, nil
}

// prune is one pass: expired entries, token backups, stale temps.
func prune(a *app, r journal.Retention, opt journal.PruneOptions) (*pruneOutput, error) {
	if !opt.DryRun {
		// It deletes in another user's home as any write does: only
		// with --as-owner (internal/homeowner).
		if err := homeowner.Check(a.deps.Env.Home, a.deps.Env.AsOwner); err != nil {
			return nil, err
		}
	}
	j := journal.Open(a.deps.Env, a.deps.Logger)
	rep, err := j.Prune(r, opt)
	if err != nil {
		return nil, err
	}
	out := &pruneOutput{PruneReport: rep, Journal: j.Dir}
	out.ConfigBackups = mutation.PruneConfigBackups(a.deps.Env, r.Entries, time.Now(), opt.DryRun)
	if !opt.DryRun {
		out.TempsRemoved = cache.RemoveStaleTemps(a.deps.Env)
	}
	return out, nil
}

// pruneText renders a prune for a person.
func pruneText(o *pruneOutput) string {
	var b strings.Builder
	verb, tverb := "removed", "deleted the token backups of"
	if o.DryRun {
		verb, tverb = "would remove", "would delete the token backups of"
	}
	for _, e := range o.Removed {
		fmt.Fprintf(&b, "%s %s (%s; expired %s)\n", verb, e.ID, e.Server, e.Expired.Local().Format(time.DateOnly))
	}
	for _, e := range o.TokensDropped {
		fmt.Fprintf(&b, "%s %s (%s; window ended %s): it can no longer be undone\n", tverb, e.ID, e.Server, e.Expired.Local().Format(time.DateTime))
	}
	for _, k := range o.Kept {
		fmt.Fprintf(&b, "kept %s: %s\n", k.ID, k.Reason)
	}
	for _, d := range o.Damaged {
		fmt.Fprintf(&b, "damaged %s: never pruned (%s); remove it from %s by hand once you no longer need its backups\n", d.ID, d.Reason, o.Journal)
	}
	for _, p := range o.ConfigBackups {
		fmt.Fprintf(&b, "%s %s, an expired copy of a config file\n", verb, p)
	}
	for _, p := range o.TempsRemoved {
		fmt.Fprintf(&b, "removed %s, left by a killed run\n", p)
	}
	if b.Len() == 0 {
		b.WriteString("nothing expired\n")
	}
	fmt.Fprintf(&b, "retention: resets %s after their last change, --forget-tokens backups %s (journal %s)\n",
		journal.FormatRetention(o.Retention.Entries), journal.FormatRetention(o.Retention.Tokens), o.Journal)
	return b.String()
}

// housekeeping is the cheap pass the commands that write run at their
// start (reset, undo, apply-pending; serve once a client finished its
// handshake): prune what expired and clear stale temps. Never for a
// read-only command. spare are ids left alone (the reset `undo ID` is about
// to undo is never pruned under it). It never fails the command: problems
// are logged.
func housekeeping(a *app, spare ...string) {
	log := a.deps.Logger
	r, err := journal.RetentionOf(a.deps.Env)
	if err != nil {
		log.Warn("not pruning the journal", "err", err)
		return
	}
	out, err := prune(a, r, journal.PruneOptions{Spare: spare})
	var fe *homeowner.ForeignError
	if errors.As(err, &fe) {
		return // another user's home without --as-owner: the command itself refuses and says why
	}
	if err != nil {
		log.Warn("pruning the journal", "err", err)
		return
	}
	for _, e := range out.Removed {
		log.Info("pruned an expired reset", "id", e.ID, "server", e.Server)
	}
	for _, e := range out.TokensDropped {
		log.Info("deleted the token backups of a forget-tokens reset whose undo window passed", "id", e.ID, "server", e.Server)
	}
	for _, p := range out.TempsRemoved {
		log.Info("removed a temp file a killed run left", "path", p)
	}
}
