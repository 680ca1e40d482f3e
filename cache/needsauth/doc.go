// Package needsauth is gate A: Claude Code's needs-auth cache,
// <config home>/mcp-needs-auth-cache.json, keyed by plain server name. It
// parses the file as Claude Code reads it, judges whether an entry still
// blocks the server (15 minutes, or 4 hours for claude.ai connectors and
// header-less plugin servers, unless the entry carries its own ttlMs),
// inspects it into records and plans the removal of the server's entry.
package needsauth
