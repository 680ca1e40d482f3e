package store

import "github.com/mcpmend/mcpmend/registry"

// Store names, as they appear in records.
const (
	NeedsAuth   = "claude-code/needs-auth"
	Credentials = "claude-code/credentials"
	Keychain    = "claude-code/keychain"
	MCPRemote   = "mcp-remote"
	MCPLogs     = "claude-code/mcp-logs"
)

// Record kinds that make Claude Code skip a server: the three gates.
const (
	KindNeedsAuth              = "needs-auth"               // gate A
	KindTokenlessRejection     = "tokenless-rejection"      // gate B
	KindRegistrationNotOffered = "registration-not-offered" // gate C
)

// Gate names each blocking kind the way Claude Code's state notes and users talk about it.
func Gate(kind string) string {
	switch kind {
	case KindNeedsAuth:
		return "A"
	case KindTokenlessRejection:
		return "B"
	case KindRegistrationNotOffered:
		return "C"
	}
	return ""
}

// Scopes under which Claude Code lists servers it did not read from a
// config file; the 4 h TTL and the id checks apply to them.
const (
	ScopePlugin   = "plugin"
	ScopeClaudeAI = "claudeai"
)

// HasHeaders is Claude Code's "configured with headers" test: a non-empty
// headers object or a headersHelper.
func HasHeaders(srv registry.Server) bool {
	return len(srv.Raw.Headers) > 0 || srv.Raw.HeadersHelper != ""
}

// GatedTransport reports whether Claude Code consults its gates before
// dialling srv: http and sse servers; stdio and ws servers never wait.
func GatedTransport(srv registry.Server) bool {
	return srv.Transport == registry.HTTP || srv.Transport == registry.SSE
}

// LookupEnv returns a location variable (filtered under --home like every
// other). Env only has Getenv, so a variable set to "" counts as unset.
func LookupEnv(env registry.Env, name string) (string, bool) {
	v := env.Var(name)
	return v, v != ""
}

// Desktop names Claude Desktop's Local Storage in records and errors.
const Desktop = "claude-desktop/local-storage"
