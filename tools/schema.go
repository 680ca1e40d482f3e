package tools

import (
	"fmt"

	"github.com/google/jsonschema-go/jsonschema"

	"github.com/mcpmend/mcpmend/registry"
)

// Scopes are every scope a definition can have, across clients; the input
// schemas list them so a model cannot invent one.
var Scopes = []string{registry.ScopeUser, registry.ScopeLocal, registry.ScopeProject, "global", "workspace",
	registry.ScopeEnterprise, registry.ScopeManaged, ScopeConnector}

// The arguments every tool naming a server shares, described once.
const (
	nameDoc    = "the server's name, exactly as configured (case-sensitive)"
	clientDoc  = "the client whose definition to use, when several clients configure this name"
	scopeDoc   = "the scope of the definition, when the client defines the name more than once; by default the one the client uses"
	timeoutDoc = "seconds each probe may take, 1 to 120; 0 or absent: as long as the server's client waits (Claude Code 30 or MCP_TIMEOUT, Codex startup_timeout_sec, others 60)"
)

// inputSchema infers T's schema and then adds what tags cannot say: enums
// for client and scope, bounds for timeout, and one description per
// argument. The SDK validates every call against it, and its error names
// the valid values.
func inputSchema[T any](docs map[string]string) *jsonschema.Schema {
	s, err := jsonschema.For[T](nil)
	if err != nil {
		panic(fmt.Sprintf("input schema of %T: %v", *new(T), err)) // a programming error, caught by every test
	}
	for name, p := range s.Properties {
		switch name {
		case "client":
			p.Enum = strs(registry.Clients())
			p.Description = clientDoc
		case "scope":
			p.Enum = strs(Scopes)
			p.Description = scopeDoc
		case "timeout":
			p.Minimum, p.Maximum = ptrF(0), ptrF(120)
			p.Description = timeoutDoc
		case "name":
			p.Description = nameDoc
		}
		if d, ok := docs[name]; ok {
			p.Description = d
		}
	}
	return s
}

func strs(list []string) []any {
	out := make([]any, len(list))
	for i, v := range list {
		out[i] = v
	}
	return out
}

func ptrF(f float64) *float64 { return &f }

func diagnoseSchema() *jsonschema.Schema {
	return inputSchema[DiagnoseInput](map[string]string{
		"name":       nameDoc + "; leave it out to diagnose every server",
		"skip_probe": "judge from the configuration and the client's memory only; start and dial nothing",
		"detail":     "also return the evidence: probe exchanges, every stored record, log lines",
	})
}
