package registry

// ClaudeCodeReloadNote is what a running Claude Code session does with a
// changed configuration, measured with Claude Code 2.1.328 (the REPL under
// tmux, loopback servers logging every request; see README "Re-registration"):
// it does not watch ~/.claude.json, .mcp.json or settings.json for MCP
// servers, so rewriting an entry in place (or adding one) changes nothing
// until the next session — or until /mcp → Reconnect, which re-reads the
// entry. mcpmend therefore offers no "reregister" rewrite: it would do nothing.
const ClaudeCodeReloadNote = "A running Claude Code session does not re-read its MCP configuration: " +
	"the next session picks up the change; in an open session use /mcp → select the server → Reconnect."
