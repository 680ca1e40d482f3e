// Command mcpmend diagnoses and heals the MCP servers configured on this
// machine. `mcpmend serve` runs it as a stdio MCP server for a client's model;
// the other subcommands render the same tools' results for a person.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// exitError carries a specific exit code (e.g. 1 when a probe failed) without
// printing anything more.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// run is main without the process: tests call it directly.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	g, cmdName, rest, err := parseGlobal(args)
	if err != nil {
		fmt.Fprintf(stderr, "mcpmend: %v\n\n%s", err, usage)
		return 2
	}
	if g.help || cmdName == "" || cmdName == "help" {
		fmt.Fprint(stdout, usage)
		return 0
	}
	c, ok := commands[cmdName]
	if !ok {
		fmt.Fprintf(stderr, "mcpmend: unknown command %q\n\n%s", cmdName, usage)
		return 2
	}
	a := newApp(g, stdin, stdout, stderr)
	resumeAtStart(ctx, a, cmdName)
	if err := c.run(ctx, a, rest); err != nil {
		var ee exitError
		if errors.As(err, &ee) {
			return ee.code
		}
		fmt.Fprintf(stderr, "mcpmend %s: %v\n", cmdName, err)
		return 1
	}
	return 0
}

const usage = `mcpmend — diagnose and heal the MCP servers on this machine

Usage:
  mcpmend [global flags] <command> [flags] [args]

Commands:
  checkup    diagnose every configured server: what is wrong and what to do: checkup [--client C] [--no-probe] [--timeout D]
  diagnose   diagnose one server (probe + client memory + config): diagnose NAME [--client C] [--scope S] [--no-probe] [--timeout D]
  list       list every configured MCP server, grouped by client
  probe      dial a server as its client would and report what it answers: probe NAME | probe --all [--client C] [--scope S] [--timeout D]
  reset      clear a client's memory of one server: reset NAME [--dry-run] [--forget-tokens] [--client C] [--scope S]
  status     where mcpmend's resets stand: status [ID]
  undo       put back everything a reset removed: undo ID
  apply-pending  apply resets that wait for a locked store (reset starts it detached)
  serve      run as an MCP server on stdio (register it with your client)
  install    register mcpmend with every MCP client found: install [--client C ...] [--dry-run] [--force]
  uninstall  remove the entry install added: uninstall [--client C ...] [--dry-run] [--force]
  state      what clients remember about a server, and whether Claude Code's next session dials or skips it
  version    print the version

Global flags (before or after the command):
  --json             print machine-readable JSON
  --home DIR         treat DIR as the user's home for every client path
  --log-level LEVEL  debug, info, warn or error (default warn; logs go to stderr)
  -h, --help         show this help
`
