package store

import (
	"context"
	"time"

	"github.com/mcpmend/mcpmend/cache/journal"
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

// Store is one kind of client memory: what it remembers about a server
// (Inspect, read-only) and how a reset clears that (PlanReset).
type Store interface {
	// Name identifies the store in records and messages.
	Name() string
	// Inspect returns what the store remembers about srv. A store that does
	// not apply to srv's client returns nothing; a damaged store returns an
	// error of type *DamagedError.
	Inspect(ctx context.Context, env registry.Env, srv registry.Server, now time.Time) ([]Record, error)
	// PlanReset returns the mutations that clear what the store remembers
	// about req.Server, none when it remembers nothing (or, like the MCP
	// logs, is never reset). It reads the store once and plans from exactly
	// those bytes (the mutation's hashes come from the same read), so a
	// record that changes afterwards makes Apply refuse rather than remove
	// something unplanned. Records that only mention the server beside other
	// data are never planned. A damaged store returns a *DamagedError and
	// the whole reset is refused.
	PlanReset(ctx context.Context, env registry.Env, req ResetRequest) ([]journal.Mutation, error)
}

// DamagedError is returned by Inspect and PlanReset for a store that exists
// but cannot be parsed or validated.
type DamagedError struct {
	Store, File, Reason string
}

func (e *DamagedError) Error() string {
	return e.Store + " store " + e.File + " is damaged: " + e.Reason
}

// ResetRequest is what a reset is asked to clear.
type ResetRequest struct {
	Server registry.Server
	// Configured is every configured server: a credentials entry another
	// scope's definition still uses is never counted as orphaned.
	Configured []registry.Server
	// ForgetTokens also removes stored tokens and client secrets (what
	// `claude mcp logout` does); without it they are kept.
	ForgetTokens bool
	// LockWait bounds the wait for a store owner's lock (Claude Code's
	// .storage-write.lock); 0 means the lock's stale time.
	LockWait time.Duration
}
