package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/mcpmend/mcpmend/installer"
)

func init() {
	commands["install"] = command{"register mcpmend with every MCP client found (or --client C)", runInstall}
	commands["uninstall"] = command{"remove the mcpmend entry install added", runUninstall}
}

// clientList is a repeatable --client flag that also takes "a,b".
type clientList []string

func (c *clientList) String() string { return strings.Join(*c, ",") }

func (c *clientList) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*c = append(*c, p)
		}
	}
	return nil
}

func runInstall(ctx context.Context, a *app, args []string) error {
	return runInstaller(ctx, a, "install", args)
}

func runUninstall(ctx context.Context, a *app, args []string) error {
	return runInstaller(ctx, a, "uninstall", args)
}

// runInstaller parses `mcpmend install|uninstall [--client C ...] [--dry-run]
// [--force]` and hands the options to doInstall.
func runInstaller(ctx context.Context, a *app, name string, args []string) error {
	fs := newFlagSet(name, a.stderr)
	var opt installer.Options
	var clients clientList
	fs.Var(&clients, "client", "a client to change (repeatable; default: every client found): claude-code, claude-desktop, cursor, vscode, windsurf, codex, gemini, zed")
	fs.BoolVar(&opt.DryRun, "dry-run", false, "show what would change and write nothing")
	force := "replace an mcpmend entry that differs from the one install writes"
	if name == "uninstall" {
		force = "remove the mcpmend entry even when it differs from the one install writes"
	}
	fs.BoolVar(&opt.Force, "force", false, force)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("unexpected arguments %q (mcpmend %s [--client C] [--dry-run] [--force])", pos, name)
	}
	opt.Clients, opt.Uninstall = clients, name == "uninstall"
	return doInstall(ctx, a, opt)
}

// doInstall runs an install or uninstall with parsed options: the command's
// logic, apart from its flag parsing. It exits 1 when a client was refused
// or failed.
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
