package main

import (
	"context"
	"fmt"

	"github.com/mcpmend/mcpmend/tools"
)

func init() {
	commands["checkup"] = command{"diagnose every configured server", runCheckup}
	commands["diagnose"] = command{"diagnose one server", runDiagnose}
}

// runCheckup is `mcpmend checkup [--client C] [--no-probe] [--timeout D]`:
// the checkup tool for a person. It exits 1 when any finding is an error,
// so scripts and CI can gate on it.
func runCheckup(ctx context.Context, a *app, args []string) error {
	fs := newFlagSet("checkup", a.stderr)
	var in tools.CheckupInput
	fs.StringVar(&in.Client, "client", "", "only this client's servers")
	fs.BoolVar(&in.SkipProbe, "no-probe", false, "judge from configuration and client memory only; dial nothing")
	timeout := fs.Duration("timeout", 0, "how long each probe may take, e.g. 30s (default: as long as the server's client waits, e.g. Claude Code's 30s or MCP_TIMEOUT)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("checkup takes no arguments (got %q); for one server: mcpmend diagnose NAME", pos)
	}
	in.Timeout = timeout.Seconds()
	bar := newProgressBar(a.stderr)
	out, err := tools.CheckupProgress(ctx, a.deps, in, bar.update)
	bar.finish()
	if err != nil {
		return err
	}
	if err := a.emit(out, out.Text()); err != nil {
		return err
	}
	if out.Failed() {
		return exitError{1}
	}
	return nil
}

// runDiagnose is `mcpmend diagnose NAME [--client C] [--scope S]
// [--no-probe] [--timeout D]`: diagnose_server for a person. It exits 1
// when a finding is an error.
func runDiagnose(ctx context.Context, a *app, args []string) error {
	fs := newFlagSet("diagnose", a.stderr)
	var in tools.DiagnoseServerInput
	fs.StringVar(&in.Client, "client", "", "the client, when several configure NAME")
	fs.StringVar(&in.Scope, "scope", "", "the scope of the definition to diagnose (default: the effective one)")
	fs.BoolVar(&in.SkipProbe, "no-probe", false, "judge from configuration and client memory only; do not dial the server")
	timeout := fs.Duration("timeout", 0, "how long the probe may take, e.g. 30s (default: as long as the server's client waits, e.g. Claude Code's 30s or MCP_TIMEOUT)")
	name, err := parseOne(fs, args, "server name (mcpmend diagnose NAME); for every server: mcpmend checkup")
	if err != nil {
		return err
	}
	in.Name, in.Timeout = name, timeout.Seconds()
	out, err := tools.DiagnoseServer(ctx, a.deps, in)
	if err != nil {
		return err
	}
	if err := a.emit(out, out.Text()); err != nil {
		return err
	}
	if out.Status == "error" {
		return exitError{1}
	}
	return nil
}
