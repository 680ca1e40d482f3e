package main

import (
	"context"
	"fmt"

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
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("give exactly one server name (mcpmend state NAME)")
	}
	in.Name = pos[0]
	out, err := tools.ServerState(ctx, a.deps, in)
	if err != nil {
		return err
	}
	return a.emit(out, out.Text())
}
