package main

import (
	"context"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mcpmend/mcpmend/installer"
	"github.com/mcpmend/mcpmend/registry"
)

func newInstallCmd(a *app) *cobra.Command {
	var opt installer.Options
	cmd := &cobra.Command{
		Use:   "install",
		Short: "register mcpmend with every MCP client found (journalled, undoable)",
		Long: `Add an entry named mcpmend — the absolute path of this binary with the argument serve — to the
user-level config of every MCP client found on this machine (its config directory exists), or of
the clients named with --client. Only that entry's bytes change in each file (comments and layout
stay). An existing mcpmend entry that differs is left alone unless --force; an identical one is
reported as already installed. mcpmend undo ID reverts the whole install. Exits 1 when a client
was refused or failed.`,
		Example: `  mcpmend install
  mcpmend install --client claude-code --client cursor --dry-run
  mcpmend install --client codex --force`,
		Args: noArgs(""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return doInstall(cmd.Context(), a, opt)
		},
	}
	installFlags(cmd, &opt, "replace an mcpmend entry that differs from the one install writes")
	addAsOwnerFlag(cmd, a)
	return cmd
}

func newUninstallCmd(a *app) *cobra.Command {
	opt := installer.Options{Uninstall: true}
	cmd := &cobra.Command{
		Use:   "uninstall",
		Short: "remove the mcpmend entry install added (journalled, undoable)",
		Long: `Remove the mcpmend entry from the user-level config of every MCP client found, or of the clients
named with --client. An entry that differs from the one install writes is left alone unless
--force. mcpmend undo ID puts it back. Exits 1 when a client was refused or failed.`,
		Example: `  mcpmend uninstall --dry-run
  mcpmend uninstall --client vscode`,
		Args: noArgs(""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return doInstall(cmd.Context(), a, opt)
		},
	}
	installFlags(cmd, &opt, "remove the mcpmend entry even when it differs from the one install writes")
	addAsOwnerFlag(cmd, a)
	return cmd
}

// installFlags adds the flags install and uninstall share.
func installFlags(cmd *cobra.Command, opt *installer.Options, force string) {
	f := cmd.Flags()
	f.Var((*clientList)(&opt.Clients), "client", "a `CLIENT` to change, repeatable (default: every client found): "+strings.Join(registry.Clients(), ", "))
	_ = cmd.RegisterFlagCompletionFunc("client", fixedCompletion(registry.Clients()...))
	f.BoolVar(&opt.DryRun, "dry-run", false, "show what would change and write nothing")
	f.BoolVar(&opt.Force, "force", false, force)
}

// clientList is a repeatable --client that also takes "a,b", each checked
// against the client names (a typo is a usage error naming them).
type clientList []string

func (c *clientList) String() string { return strings.Join(*c, ",") }
func (c *clientList) Type() string   { return "client" }

func (c *clientList) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		p = strings.TrimSpace(p)
		if !slices.Contains(registry.Clients(), p) {
			return usagef("unknown client %q: use one of %s", p, strings.Join(registry.Clients(), ", "))
		}
		*c = append(*c, p)
	}
	return nil
}

// doInstall runs an install or uninstall with parsed options: the command's
// logic, apart from its flags. It exits 1 when a client was refused or failed.
func doInstall(ctx context.Context, a *app, opt installer.Options) error {
	exe, err := installer.RunningBinary()
	if err != nil {
		return err
	}
	opt.Command = exe
	res, err := installer.Run(ctx, a.deps.Env, a.deps.Logger, opt)
	if err != nil {
		return err
	}
	if err := a.emit(res, res.Text()); err != nil {
		return err
	}
	if res.Failed() {
		return exitError{1}
	}
	return nil
}
