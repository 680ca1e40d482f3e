package main

import (
	"github.com/spf13/cobra"

	"github.com/mcpmend/mcpmend/tools"
)

func newVersionCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "print mcpmend's version and build",
		Long:    "Print mcpmend's version: the module version of a `go install …@vX` or a release build, else the commit it was built from. MCP clients see the same version in serverInfo.",
		Example: "  mcpmend version\n  mcpmend version --json",
		Args:    noArgs(""),
		RunE: func(*cobra.Command, []string) error {
			b := currentBuild()
			return a.emit(b, b.String()+"\n")
		},
	}
}

func newListCmd(a *app) *cobra.Command {
	var in tools.ListServersInput
	cmd := &cobra.Command{
		Use:   "list [NAME]",
		Short: "list every configured MCP server, grouped by client",
		Long:  "List every MCP server configured for each client, with its scope, transport and command or URL, what the client remembers about it, and the configuration files that have problems.",
		Example: `  mcpmend list
  mcpmend list --client cursor
  mcpmend list github --json`,
		Args:              atMostOne("server name (mcpmend list [NAME])"),
		ValidArgsFunction: a.serverNames,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 && in.Name == "" {
				in.Name = args[0]
			}
			if a.g.json { // the states summarised while the servers are written
				return tools.WriteListServersJSON(cmd.Context(), a.deps, in, a.stdout)
			}
			out, err := tools.ListServers(cmd.Context(), a.deps, in)
			if err != nil {
				return err
			}
			return a.emitFunc(out, out.Text)
		},
	}
	addClientFlag(cmd, &in.Client, "only this client's servers")
	cmd.Flags().StringVar(&in.Name, "name", "", "only servers with this `NAME`")
	cmd.Flags().StringVar(&in.Project, "project", "", "only servers that apply in this project `DIR`")
	_ = cmd.MarkFlagDirname("project")
	return cmd
}
