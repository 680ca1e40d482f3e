package cache

import (
	"github.com/mcpmend/mcpmend/cache/credentials"
	"github.com/mcpmend/mcpmend/cache/desktop"
	"github.com/mcpmend/mcpmend/cache/mcplogs"
	"github.com/mcpmend/mcpmend/cache/mcpremote"
	"github.com/mcpmend/mcpmend/cache/needsauth"
	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/internal/keychain"
	"github.com/mcpmend/mcpmend/registry"
)

// storeKind is one store in the one ordered list: how to make it for a
// read-only pass (it keeps what it read, indexed, for the whole pass) and
// for a reset (it reads afresh under the owner's lock). A store a reset
// never changes has no reset form.
type storeKind struct {
	inspect func(configured []registry.Server) store.Store
	reset   func(configured []registry.Server, kc *keychain.Client) store.Store
}

// stores is every store mcpmend knows, in the order a reset runs its steps —
// and so the order records are listed in: the gate stamps in the
// credentials first, then the needs-auth entry (so a session starting in
// between still finds a gate and writes nothing new), then mcp-remote's
// files, then Claude Desktop's Local Storage (the one step that may have to
// wait for its app to quit). The MCP logs are evidence only. Adding a store
// is adding a line here.
var stores = []storeKind{
	{
		inspect: func(c []registry.Server) store.Store { return credentials.ForInspection(c) },
		reset: func(c []registry.Server, kc *keychain.Client) store.Store {
			return credentials.Store{Configured: c, Keychain: kc}
		},
	},
	{
		inspect: func([]registry.Server) store.Store { return needsauth.ForInspection() },
		reset:   func([]registry.Server, *keychain.Client) store.Store { return needsauth.Store{} },
	},
	{
		inspect: func([]registry.Server) store.Store { return mcpremote.ForInspection() },
		reset:   func([]registry.Server, *keychain.Client) store.Store { return mcpremote.Store{} },
	},
	{
		inspect: func([]registry.Server) store.Store { return mcplogs.ForInspection() },
	},
	{
		inspect: func(c []registry.Server) store.Store { return desktop.ForInspection(c) },
		reset: func(c []registry.Server, _ *keychain.Client) store.Store {
			return desktop.Store{Others: desktop.ServerNames(c)}
		},
	},
}

// DefaultStores is every store mcpmend reads, for one pass over some
// servers: each store is read once per pass (the stores keep what they read,
// indexed by what the lookups need), so a command's work grows with the size
// of the configuration and the stores, not with their product. configured
// is every server the registry found, so that the credentials store can
// tell an orphaned entry from one another scope still uses. A pass sees the
// stores as they were when first read: make a new one for each command.
func DefaultStores(configured []registry.Server) []store.Store {
	out := make([]store.Store, 0, len(stores))
	for _, k := range stores {
		out = append(out, k.inspect(configured))
	}
	return out
}

// DefaultResetPlanners is every store a reset changes, in the order its
// steps run (see stores). keychain overrides the platform's Keychain
// (tests); nil means the platform's.
func DefaultResetPlanners(configured []registry.Server, keychain *keychain.Client) []store.Store {
	var out []store.Store
	for _, k := range stores {
		if k.reset != nil {
			out = append(out, k.reset(configured, keychain))
		}
	}
	return out
}
