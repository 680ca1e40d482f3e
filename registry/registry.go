// Package registry discovers which MCP servers are configured on this machine:
// every supported client's configuration files, their scopes and precedence,
// with secrets kept out of everything that is printed.
//
// registry only reads. The single place that writes a client's configuration
// is the config editor on the write side (cache/mutation's Editor, through
// internal/lockedfile); nothing else in mcpmend opens a config file for
// writing.
package registry

import (
	"cmp"
	"log/slog"
	"slices"
	"strings"
)

// Transport is how a client talks to a server.
type Transport string

// The transports clients configure.
const (
	Stdio Transport = "stdio"
	HTTP  Transport = "http" // streamable HTTP
	SSE   Transport = "sse"
	WS    Transport = "ws"
)

// Client names, as they appear in output and in the client filter.
const (
	ClaudeCode    = "claude-code"
	ClaudeDesktop = "claude-desktop"
	Cursor        = "cursor"
	VSCode        = "vscode"
	Windsurf      = "windsurf"
	Codex         = "codex"
	Gemini        = "gemini"
	Zed           = "zed"
)

// Approval states of a Claude Code project (.mcp.json) server.
const (
	Approved = "approved"
	Pending  = "pending"
	Rejected = "rejected"
)

// OAuth is a server's static OAuth client settings, as configured. None of
// these values is secret (client secrets live in the clients' token stores).
type OAuth struct {
	ClientID              string   `json:"client_id,omitempty"`
	CallbackPort          int      `json:"callback_port,omitempty"`
	AuthServerMetadataURL string   `json:"auth_server_metadata_url,omitempty"`
	Scopes                []string `json:"scopes,omitempty"`
}

// Server is one configured MCP server as one client sees it. Its exported,
// serialised fields are safe to print: values of env vars and headers, URL
// credentials and secret-looking arguments are redacted. The raw
// configuration, which mcpmend needs to dial the server or compute a client's
// cache keys, is in Raw and is never serialised.
type Server struct {
	Name    string `json:"name"`
	Client  string `json:"client"`
	Scope   string `json:"scope"`
	Project string `json:"project,omitempty"` // project directory for local/project/workspace scopes
	File    string `json:"file,omitempty"`    // the configuration file the entry lives in ("" for a Desktop connector)
	// Path is where in File the entry is: a gjson/sjson path whose segments
	// are escaped with gjson.Escape, so it can be used as is even when a
	// project dir or name holds '.', '*' or '?' (e.g. mcpServers.github,
	// projects./home/u/my\.app.mcpServers.db).
	Path string `json:"path,omitempty"`

	Transport     Transport `json:"transport,omitempty"` // empty only in a model's brief view
	Command       string    `json:"command,omitempty"`
	Args          []string  `json:"args,omitempty"` // redacted
	Cwd           string    `json:"cwd,omitempty"`
	EnvNames      []string  `json:"env,omitempty"`
	URL           string    `json:"url,omitempty"` // redacted
	HeaderNames   []string  `json:"headers,omitempty"`
	HeadersHelper bool      `json:"headers_helper,omitempty"`
	OAuth         *OAuth    `json:"oauth,omitempty"`

	Disabled bool   `json:"disabled,omitempty"`
	Approval string `json:"approval,omitempty"` // approved, pending or rejected; project servers only
	// Untrusted is set on a server from a project or workspace file whose
	// client, as far as its files on disk say, does not trust that folder:
	// mcpmend never starts or dials it (see trust.go). TrustHint says how
	// to trust the folder in that client.
	Untrusted bool   `json:"untrusted,omitempty"`
	TrustHint string `json:"trust_hint,omitempty"`
	// WorkDir is where a stdio server starts when it configures no cwd:
	// its project folder when the client trusts it, else the home
	// directory (never mcpmend's current directory); WorkDirNote says why
	// when the client would have used another folder.
	WorkDir     string   `json:"work_dir,omitempty"`
	WorkDirNote string   `json:"work_dir_note,omitempty"`
	Effective   bool     `json:"effective,omitempty"`
	ShadowedBy  string   `json:"shadowed_by,omitempty"` // "scope file" of the definition that wins
	Problems    []string `json:"problems,omitempty"`

	Raw Raw `json:"-"`
}

// Raw is a server's configuration as written, secrets included. It never
// leaves the process: it is how mcpmend dials a server exactly as its client
// would and computes the keys clients file their memory under.
type Raw struct {
	Type          string   // the "type" field as written ("" when absent)
	Command       Secret   // unredacted command (Server.Command is scrubbed like args)
	URL           Secret   // unredacted URL
	Args          []Secret // unredacted args
	Env           []EnvVar // in file order
	Headers       []Header // in file order (Claude Code's credential key depends on it)
	HeadersHelper Secret   // command that prints extra headers
	Entry         string   // the entry's JSON (or TOML re-encoded as JSON) as written
}

// EnvVar is one configured environment variable.
type EnvVar struct {
	Name  string
	Value Secret
}

// Header is one configured HTTP header.
type Header struct {
	Name  string
	Value Secret
}

// LogValue keeps a Server's raw configuration out of logs.
func (s Server) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("name", s.Name),
		slog.String("client", s.Client),
		slog.String("scope", s.Scope),
		slog.String("file", s.File),
	)
}

// ID names a server unambiguously for messages: "client/scope/name".
func (s Server) ID() string { return s.Client + "/" + s.Scope + "/" + s.Name }

// Remote reports whether the server is dialled over the network.
func (s Server) Remote() bool { return s.Transport != Stdio }

// Problem is something wrong with a configuration file or entry that a user
// should know about: a file that does not parse, an entry the client ignores,
// a file the client no longer reads.
type Problem struct {
	Client  string `json:"client"`
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Server  string `json:"server,omitempty"`
	Message string `json:"message"`
}

// Inventory is everything Discover found.
type Inventory struct {
	Servers  []Server  `json:"servers"`
	Problems []Problem `json:"problems,omitempty"`
}

// A discoverer reads one client's files.
type discoverer func(env Env) ([]Server, []Problem)

// discoverers lists every supported client, in output order.
var discoverers = []struct {
	client string
	find   discoverer
}{
	{ClaudeCode, discoverClaudeCode},
	{ClaudeDesktop, discoverDesktop},
	{Cursor, discoverCursor},
	{VSCode, discoverVSCode},
	{Windsurf, discoverWindsurf},
	{Codex, discoverCodex},
	{Gemini, discoverGemini},
	{Zed, discoverZed},
}

// Clients returns the names of the supported clients.
func Clients() []string {
	out := make([]string, len(discoverers))
	for i, d := range discoverers {
		out[i] = d.client
	}
	return out
}

// Discover reads every client's configuration in env. It never fails: a file
// that cannot be read or parsed becomes a Problem and the rest is still listed.
// Missing files are silently absent.
func Discover(env Env) *Inventory {
	env = env.withDefaults()
	inv := &Inventory{Servers: []Server{}}
	for _, d := range discoverers {
		servers, problems := d.find(env)
		if len(inv.Servers) == 0 && servers != nil {
			inv.Servers = servers // Claude Code's 15,000 servers are not copied again
		} else {
			inv.Servers = append(inv.Servers, servers...)
		}
		inv.Problems = append(inv.Problems, problems...)
	}
	sortServers(inv.Servers)
	return inv
}

// clientRank orders clients as in discoverers.
func clientRank(c string) int {
	for i, d := range discoverers {
		if d.client == c {
			return i
		}
	}
	return len(discoverers)
}

// sortServers orders by client, then name, then effective first, then
// project, then file, so output is stable. It sorts indices and moves each
// server once: sorting the 400-byte structs themselves moved them
// O(n log n) times, a sixth of discovering 15,000 servers.
func sortServers(s []Server) {
	rank := make([]int, len(s))
	order := make([]int, len(s))
	for i := range s {
		rank[i], order[i] = clientRank(s[i].Client), i
	}
	slices.SortStableFunc(order, func(i, j int) int {
		a, b := &s[i], &s[j]
		if c := cmp.Compare(rank[i], rank[j]); c != 0 {
			return c
		}
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		if a.Effective != b.Effective {
			if a.Effective {
				return -1
			}
			return 1
		}
		if c := strings.Compare(a.Project, b.Project); c != 0 {
			return c
		}
		return strings.Compare(a.File, b.File)
	})
	// s[i] = old s[order[i]], one cycle of the permutation at a time.
	for start := range order {
		if order[start] == start {
			continue
		}
		tmp := s[start]
		i := start
		for order[i] != start {
			j := order[i]
			s[i], order[i] = s[j], i
			i = j
		}
		s[i], order[i] = tmp, i
	}
}
