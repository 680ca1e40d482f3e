package main

import (
	"github.com/spf13/cobra"

	"github.com/mcpmend/mcpmend/cache/journal"
	"github.com/mcpmend/mcpmend/registry"
	"github.com/mcpmend/mcpmend/tools"
)

func newResetCmd(a *app) *cobra.Command {
	var in tools.ResetServerAuthInput
	cmd := &cobra.Command{
		Use:   "reset NAME",
		Short: "clear a client's memory of one server (journalled, undoable)",
		Long: `Clear what the clients remember about one server — Claude Code's needs-auth cache and credential
stamps, mcp-remote's registration, Claude Desktop's Local Storage items for it — so the next session
dials it afresh. Stored tokens are kept unless --forget-tokens. Every reset is journalled with
backups: mcpmend undo ID puts it back. Exits 1 when a store refused (nothing was changed); interrupted
(Ctrl-C, SIGTERM, SIGHUP) it finishes or rolls back the store in progress, puts back what it changed, and
exits 128+N.`,
		Example: `  mcpmend reset github --dry-run
  mcpmend reset github
  mcpmend reset github --client claude-code --scope local --forget-tokens`,
		Args:              exactlyOne("server name (mcpmend reset NAME)"),
		ValidArgsFunction: a.serverNames,
		RunE: func(cmd *cobra.Command, args []string) error {
			in.Name = args[0]
			out, err := tools.ResetServerAuth(cmd.Context(), a.deps, in)
			if err != nil {
				return err
			}
			if err := a.emit(out, out.HumanText()); err != nil {
				return err
			}
			if out.Outcome == tools.OutcomeRefused || out.Outcome == tools.OutcomeCancelled {
				return exitError{1} // a signal's 128+N wins (see execute)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&in.DryRun, "dry-run", false, "only list the records that would be removed")
	cmd.Flags().BoolVar(&in.ForgetTokens, "forget-tokens", false, "also remove stored tokens and client secrets (a new sign-in follows)")
	addClientFlag(cmd, &in.Client, "the client, when several configure NAME")
	addScopeFlag(cmd, &in.Scope, "the scope, when the client defines NAME more than once")
	addAsOwnerFlag(cmd, a)
	return cmd
}

func newStatusCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "status [ID]",
		Short:   "where mcpmend's resets stand",
		Long:    "List mcpmend's resets with the outcome of each store, or show one reset in full.",
		Example: "  mcpmend status\n  mcpmend status 20261126T101500Z-1a2b3c4d",
		Args:    atMostOne("reset id (mcpmend status [ID])"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var in tools.ResetStatusInput
			if len(args) == 1 {
				in.ID = args[0]
			}
			out, err := tools.ResetStatus(cmd.Context(), a.deps, in)
			if err != nil {
				return err
			}
			return a.emit(out, out.Text())
		},
	}
}

func newUndoCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "undo ID",
		Short: "put back everything a reset removed",
		Long: `Put back, byte for byte, everything reset ID removed. A store written again since the reset
(a new sign-in, say) is left alone and reported as refused. Exits 1 when a store refused.`,
		Example: "  mcpmend undo 20261126T101500Z-1a2b3c4d",
		Args:    exactlyOne("reset id (mcpmend undo ID; mcpmend status lists them)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			out, err := tools.UndoReset(cmd.Context(), a.deps, tools.UndoResetInput{ID: args[0]})
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
		},
	}
	addAsOwnerFlag(cmd, a)
	return cmd
}

// spawnWorker starts the detached apply-pending worker (tools.Deps.StartWorker).
func spawnWorker(env registry.Env) (int, error) {
	wc, err := journal.DefaultWorkerCommand(env)
	if err != nil {
		return 0, err
	}
	return journal.SpawnWorker(env, wc)
}
