package tools

import (
	"context"

	"github.com/mcpmend/mcpmend/cache/desktop"
	"github.com/mcpmend/mcpmend/registry"
	"github.com/mcpmend/mcpmend/tools/diagnose"
)

// ScopeConnector is the scope of a Claude Desktop server that no config file
// defines: a remote connector added in Settings → Connectors, which Desktop
// keeps only in its own storage.
const ScopeConnector = "connector"

// connectorNote explains a server found only in Claude Desktop's storage.
const connectorNote = "not in claude_desktop_config.json: Claude Desktop keeps remote connectors (Settings → Connectors) in its own storage, where mcpmend found items named after it"

// findServerOrConnector is findServer, except that a name no config file
// defines resolves to a Claude Desktop connector of that name when Desktop's
// Local Storage holds items whose key names it (or values that mention it).
// Without such items the unknown-name error (with close matches) stands.
func findServerOrConnector(ctx context.Context, env registry.Env, inv *registry.Inventory, name, client, scope string) (registry.Server, error) {
	srv, err := findServer(inv, name, client, scope)
	if err == nil || name == "" || scope != "" && scope != ScopeConnector || client != "" && client != registry.ClaudeDesktop {
		return srv, err
	}
	for _, s := range inv.Servers {
		if s.Name == name && (client == "" || s.Client == client) {
			return srv, err // configured: ambiguous, or not in this scope
		}
	}
	names := make([]string, 0, len(inv.Servers))
	for _, s := range inv.Servers {
		names = append(names, s.Name)
	}
	recs, _ := desktop.Store{Others: names}.InspectName(ctx, env, name)
	if len(recs) == 0 {
		return srv, err
	}
	return DesktopConnector(name), nil
}

// connectorNotProbed is why a connector is judged without a probe.
const connectorNotProbed = "a Claude Desktop connector: its address is kept in Desktop's account, not in a file mcpmend reads, so it cannot be dialled from here"

// connectorJobs are the Claude Desktop connectors checkup reports: names
// Desktop's Local Storage keeps items for that no config file defines. A
// store that cannot be read adds nothing here (the configured servers'
// diagnoses report the damage).
func connectorJobs(ctx context.Context, env registry.Env, inv *registry.Inventory) []diagnose.Job {
	configured := map[string]bool{}
	names := make([]string, 0, len(inv.Servers))
	for _, s := range inv.Servers {
		configured[s.Name] = true
		names = append(names, s.Name)
	}
	found, _ := desktop.Store{Others: names}.Names(ctx, env)
	var jobs []diagnose.Job
	for _, n := range found {
		if !configured[n] {
			jobs = append(jobs, diagnose.Job{Server: DesktopConnector(n), NotProbed: connectorNotProbed})
		}
	}
	return jobs
}

// DesktopConnector is the Server mcpmend works on for a Claude Desktop
// connector that no config file defines: only its name, client and scope are
// known. It has no Problems: being in no file is what a connector is (the
// not-probed finding says so), not something to fix in an entry it does
// not have.
func DesktopConnector(name string) registry.Server {
	return registry.Server{Name: name, Client: registry.ClaudeDesktop, Scope: ScopeConnector, Effective: true}
}
