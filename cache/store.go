// Package cache reads — and, for a reset, changes — what MCP clients remember
// about servers: Claude Code's needs-auth cache and credential stamps, Claude
// Desktop's Electron Local Storage, mcp-remote's token files. It also keeps
// mcpmend's own journal of resets: backups, pending work and undo.
//
// Every store sits behind the same small interface: Inspect a server into
// Records (read-only), Plan a reset into Changes, Apply a plan with a backup,
// Undo from that backup.
package cache

import (
	"context"
	"time"

	"github.com/mcpmend/mcpmend/internal/ccversion"
	"github.com/mcpmend/mcpmend/registry"
)

// Record is one thing a client remembers about a server. It is safe to print:
// no token or secret value is ever put in it.
type Record struct {
	Store  string     `json:"store"`            // which store, e.g. "claude-code/needs-auth"
	File   string     `json:"file"`             // file or directory holding it
	Key    string     `json:"key"`              // key inside the store (e.g. "github|78d8e2894fc42213")
	Kind   string     `json:"kind"`             // what it is, e.g. "needs-auth", "tokens", "tokenless-rejection"
	Active bool       `json:"active"`           // whether it currently affects the client (blocks a dial, holds a live token)
	Since  *time.Time `json:"since,omitempty"`  // when it was written, where known
	Until  *time.Time `json:"until,omitempty"`  // when it lapses, where it does
	Detail string     `json:"detail,omitempty"` // one redacted sentence for a person or a model
	// Resettable is true when reset_server_auth may remove it; false for
	// records that only mention the server beside other data.
	Resettable bool `json:"resettable"`
	// Facts is what a gate store read, before any version's rules judged it,
	// so that each installed Claude Code can be judged by its own rules.
	Facts *ccversion.Memory `json:"-"`
}

// Damage reports a store that exists but cannot be read faithfully. A
// damaged store is never reported as empty, and never written.
type Damage struct {
	Store  string `json:"store"`
	File   string `json:"file"`
	Reason string `json:"reason"`
}

// Store is one kind of client memory.
type Store interface {
	// Name identifies the store in records and messages.
	Name() string
	// Inspect returns what the store remembers about srv. A store that does
	// not apply to srv's client returns nothing; a damaged store returns an
	// error of type *DamagedError.
	Inspect(ctx context.Context, env registry.Env, srv registry.Server, now time.Time) ([]Record, error)
}

// DamagedError is returned by Inspect for a store that exists but cannot be
// parsed or validated.
type DamagedError struct {
	Store, File, Reason string
}

func (e *DamagedError) Error() string {
	return e.Store + " store " + e.File + " is damaged: " + e.Reason
}
