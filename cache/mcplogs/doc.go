// Package mcplogs reads Claude Code's per-server MCP logs (the newest log of
// the server in the folder Claude Code keeps for each working directory) into
// records: the lines that show what its sessions did with the server, such
// as skipping it behind a cached needs-auth. It is read only; a reset never
// plans anything here.
package mcplogs
