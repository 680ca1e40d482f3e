package main

import (
	"github.com/spf13/cobra"

	"github.com/mcpmend/mcpmend/tools"
)

func newStateCmd(a *app) *cobra.Command {
	var in tools.ServerStateInput
	cmd := &cobra.Command{
		Use:   "state NAME",
		Short: "what clients remember about a server, and whether Claude Code's next session dials or skips it",
		Long: `Read, never change, what the clients remember about one server: Claude Code's needs-auth cache and
credential stamps, stored tokens (presence and expiry only), mcp-remote's files and Claude Desktop's
Local Storage items, and say whether Claude Code's next session dials the server or skips it.`,
		Example: `  mcpmend state github
  mcpmend state github --client claude-code --scope local --json`,
		Args:              exactlyOne("server name (mcpmend state NAME)"),
		ValidArgsFunction: a.serverNames,
		RunE: func(cmd *cobra.Command, args []string) error {
			in.Name = args[0]
			out, err := tools.ServerState(cmd.Context(), a.deps, in)
			if err != nil {
				return err
			}
			return a.emitFunc(out, out.HumanText)
		},
	}
	addClientFlag(cmd, &in.Client, "the client, when several configure NAME")
	addScopeFlag(cmd, &in.Scope, "the scope, when the client defines NAME more than once")
	return cmd
}
