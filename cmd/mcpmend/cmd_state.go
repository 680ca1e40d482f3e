package main

import (
	"context"

	"github.com/mcpmend/mcpmend/tools"
)

func init() {
	commands["state"] = command{"what clients remember about a server", runState}
}

// runState prints server_state for one server: `mcpmend state NAME
// [--client C] [--scope S]`.
func runState(ctx context.Context, a *app, args []string) error {
	fs := newFlagSet("state", a.stderr)
	var in tools.ServerStateInput
	fs.StringVar(&in.Client, "client", "", "the client, when several configure NAME")
	fs.StringVar(&in.Scope, "scope", "", "the scope, when the client defines NAME more than once")
	name, err := parseOne(fs, args, "server name (mcpmend state NAME)")
	if err != nil {
		return err
	}
	in.Name = name
	out, err := tools.ServerState(ctx, a.deps, in)
	if err != nil {
		return err
	}
	return a.emit(out, out.Text())
}
