package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/mcpmend/mcpmend/tools"
)

// timeoutUsage describes --timeout. The flag's own default is 0: "the
// tools' default" (15 s), which the tools apply, so the CLI never overrides
// how the tools choose it.
func timeoutUsage(what string) string {
	return "how long " + what + " may take, a `DURATION` from 1s to 2m (default: as long as the server's client waits, e.g. Claude Code's 30s or MCP_TIMEOUT)"
}

func newCheckupCmd(a *app) *cobra.Command {
	var in tools.CheckupInput
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "checkup",
		Short: "diagnose every configured server: what is wrong and what to do",
		Long: `Diagnose every MCP server configured on this machine: each is started or dialled as its client
would (concurrently), judged against what the client remembers and its configuration, and listed
with the next step for every problem. Exits 1 when any finding is an error, so scripts can gate on it.`,
		Example: `  mcpmend checkup
  mcpmend checkup --client claude-code --timeout 30s
  mcpmend checkup --no-probe --json`,
		Args: noArgs("; for one server: mcpmend diagnose NAME"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			in.Timeout = timeout.Seconds()
			bar := newProgressBar(a.stderr)
			out, err := tools.CheckupProgress(cmd.Context(), a.deps, in, bar.update)
			bar.finish()
			if err != nil {
				return err
			}
			if err := a.emitFunc(out, out.HumanText); err != nil {
				return err
			}
			if out.Failed() {
				return exitError{1}
			}
			return nil
		},
	}
	addClientFlag(cmd, &in.Client, "only this client's servers")
	cmd.Flags().BoolVar(&in.SkipProbe, "no-probe", false, "start and dial nothing: judge from configuration, client memory and whether each command is on PATH")
	cmd.Flags().DurationVar(&timeout, "timeout", 0, timeoutUsage("each probe"))
	return cmd
}

func newDiagnoseCmd(a *app) *cobra.Command {
	var in tools.DiagnoseServerInput
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "diagnose NAME",
		Short: "diagnose one server: probe, client memory and configuration together",
		Long: `Diagnose one configured MCP server: dial it as its client would, read what the client remembers
about it and check its configuration, then judge them together, with the evidence and the next
step for every finding. Exits 1 when a finding is an error.`,
		Example: `  mcpmend diagnose github
  mcpmend diagnose github --client cursor --no-probe`,
		Args:              exactlyOne("server name (mcpmend diagnose NAME); for every server: mcpmend checkup"),
		ValidArgsFunction: a.serverNames,
		RunE: func(cmd *cobra.Command, args []string) error {
			in.Name, in.Timeout = args[0], timeout.Seconds()
			out, err := tools.DiagnoseServer(cmd.Context(), a.deps, in)
			if err != nil {
				return err
			}
			if err := a.emitFunc(out, out.HumanText); err != nil {
				return err
			}
			if out.Status == "error" {
				return exitError{1}
			}
			return nil
		},
	}
	addClientFlag(cmd, &in.Client, "the client, when several configure NAME")
	addScopeFlag(cmd, &in.Scope, "the scope of the definition to diagnose (default: the one the client uses)")
	cmd.Flags().BoolVar(&in.SkipProbe, "no-probe", false, "do not start or dial the server: judge from configuration, client memory and whether its command is on PATH")
	cmd.Flags().DurationVar(&timeout, "timeout", 0, timeoutUsage("the probe"))
	return cmd
}
