// Package mcpremote is mcp-remote's memory: the files it keeps in its token
// directory (~/.mcp-auth or $MCP_REMOTE_CONFIG_DIR), filed under an md5 of
// the server URL and the options that change it — computed here exactly as
// mcp-remote does, checked by a golden made with its own code. It inspects
// tokens, client registrations, sign-in state and refresh leases, and plans a
// reset of the server's own files (tokens only when asked to forget them;
// leases never).
package mcpremote
