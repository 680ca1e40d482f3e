// Package cache is what the tools import to learn — and, for a reset,
// change — what MCP clients remember about a server.
//
// Read: NewInspector(env, now, configured).Inspect(ctx, srv) asks every store
// and returns a State: the Records (safe to print), the Damage of stores that
// could not be read faithfully, and for Claude Code servers the Session view
// (will its next session dial the server, or skip it behind which gate).
//
// Reset: PlanReset(ctx, env, req, DefaultResetPlanners(configured, nil))
// returns the mutations that clear what the stores remember, refusing as a
// whole when any store is damaged; RunReset records them in the journal
// (cache/journal) and applies them, each with a backup, undoable.
//
// The stores live one per package, each with its parse, judge, inspect and
// plan: needsauth (Claude Code's gate A), credentials (gates B and C, tokens;
// the file and the macOS Keychain item), mcpremote (mcp-remote's token
// files), mcplogs (Claude Code's per-server logs, read only) and desktop
// (Claude Desktop's Local Storage). They meet one contract, cache/store, the
// way drivers meet database/sql/driver; their removals share cache/mutation.
package cache
