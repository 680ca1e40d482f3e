// Command mcpmend diagnoses and heals the MCP servers configured on this
// machine. `mcpmend serve` runs it as a stdio MCP server for a client's model;
// the other subcommands render the same tools' results for a person.
package main

import (
	"context"
	"fmt"
	"io"
	"os"

	_ "github.com/mcpmend/mcpmend/cmd/mcpmend/internal/early" // serve's pre-answer, started during init
	"github.com/mcpmend/mcpmend/tools"
	"github.com/mcpmend/mcpmend/tools/preanswer"
)

func main() {
	ctx, stop := notifyContext(context.Background(), os.Stderr, os.Exit)
	// serve's initialize may already be answered (tools/preanswer, started
	// while the packages initialized): go-sdk reads stdin from its start
	// and its own answers to the pre-answered requests are dropped.
	stdin, stdout := preanswer.Streams(os.Stdin, os.Stdout, func(msg string) { fmt.Fprintln(os.Stderr, "mcpmend serve:", msg) })
	code := run(ctx, os.Args[1:], stdin, stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// exitError carries a specific exit code (e.g. 1 when a probe failed) without
// printing anything more.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// run is main without the process: tests call it directly. Exit codes: 0
// done; 1 the command failed or found an error; 2 mcpmend was called wrong
// (unknown command or flag, bad value, wrong arguments); 128+N interrupted by
// signal N (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP).
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	tools.Version = currentBuild().Version // serverInfo and the probe's clientInfo say the same as `mcpmend version`
	return execute(ctx, newApp(stdin, stdout, stderr), args)
}
