package registry

import (
	"fmt"
	"slices"
	"strings"

	"github.com/mcpmend/mcpmend/internal/lazyre"

	"github.com/tidwall/gjson"
)

// ccServer is a Claude Code server during discovery: the Server plus what
// precedence needs to know about it.
type ccServer struct {
	*Server
	skipped bool // Claude Code does not load this entry at all
}

// validClaudeName reports whether name matches ^[A-Za-z0-9_-]+$, what
// `claude mcp add` accepts. Claude Code still loads other names found in a
// file, so a bad name is a problem, not a reason to skip.
func validClaudeName(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return name != ""
}

// ccSource says where a block of mcpServers entries comes from.
type ccSource struct {
	file    string
	scope   string
	project string
	prefix  string // gjson path of the mcpServers object, escaped, with a trailing "."
	expand  bool   // ${VAR} is expanded (user, local and project scopes)
	managed bool   // managedMcpServers: https http/sse only
}

// parseServers reads an mcpServers object. Non-object entries become
// problems (Claude Code skips them); of duplicate names the last wins, as
// with JSON.parse.
func parseServers(src ccSource, v gjson.Result, env Env) ([]*ccServer, []Problem) {
	if !v.Exists() || v.Type == gjson.Null {
		return nil, nil
	}
	field := strings.TrimSuffix(src.prefix, ".")
	if !v.IsObject() {
		return nil, []Problem{{Client: ClaudeCode, File: src.file, Message: fmt.Sprintf("%s is %s, not an object: Claude Code ignores it", field, kindOf(v))}}
	}
	var out []*ccServer
	var probs []Problem
	index := map[string]int{}
	v.ForEach(func(k, e gjson.Result) bool {
		name := k.String()
		if !e.IsObject() {
			probs = append(probs, Problem{Client: ClaudeCode, File: src.file, Server: name,
				Message: fmt.Sprintf("%s%s is %s, not an object: Claude Code skips it", src.prefix, escape(name), kindOf(e))})
			return true
		}
		s := claudeServer(src, name, e, env)
		if i, dup := index[name]; dup {
			out[i] = s
		} else {
			index[name] = len(out)
			out = append(out, s)
		}
		return true
	})
	return out, probs
}

// claudeServer builds one entry, expanding ${VAR} where Claude Code does.
func claudeServer(src ccSource, name string, e gjson.Result, env Env) *ccServer {
	s := &Server{Name: name, Client: ClaudeCode, Scope: src.scope, Project: src.project, File: src.file, Path: src.prefix + escape(name)}
	entry(s, e, env)
	x := &expander{env: env}
	if src.expand {
		x.server(s)
	}
	if x.changed { // derive the printable fields again, from what is dialled
		s.Transport = transportOf(s.Raw.Type, s.Raw.Command.Reveal(), s.Raw.URL.Reveal())
		s.Problems = nil
		s.fillPublic()
		s.Command = Scrub(s.Command, x.secrets...)
		// A value taken from a secret-named variable (${API_TOKEN}) stays
		// as hidden in output as it was in the file.
		for i := range s.Args {
			s.Args[i] = Scrub(s.Args[i], x.secrets...)
		}
		s.URL = Scrub(s.URL, x.secrets...)
	}
	cs := &ccServer{Server: s}
	if reason := skipReason(src, s, e); reason != "" {
		cs.skipped = true
		s.Problems = []string{"Claude Code skips this entry: " + reason}
	}
	if !validClaudeName(name) {
		s.Problems = append(s.Problems, `name does not match ^[A-Za-z0-9_-]+$: Claude Code loads it, but "claude mcp" commands reject such names`)
	}
	if len(x.missing) > 0 {
		s.Problems = append(s.Problems, "missing environment variables: "+strings.Join(x.missing, ", ")+" (left as ${NAME}, as Claude Code does)")
	}
	return cs
}

// skipReason says why Claude Code would not load an entry, "" if it would.
// The wording follows Claude Code's own warnings (2.1.328).
func skipReason(src ccSource, s *Server, e gjson.Result) string {
	typ := s.Raw.Type
	switch typ {
	case "", "stdio":
		if e.Get("command").Type != gjson.String || s.Command == "" {
			if typ == "" && e.Get("url").Exists() {
				return `it has a "url" but no "type"; add "type": "http" (or "sse" / "ws")`
			}
			return "command is missing or not a string"
		}
	case "http", "streamable-http", "sse", "ws":
		if e.Get("url").Type != gjson.String || s.Raw.URL == "" {
			return "url is missing or not a string"
		}
	default:
		return fmt.Sprintf("unknown type %q", typ)
	}
	if src.managed && !(s.Transport == HTTP || s.Transport == SSE) || src.managed && !strings.HasPrefix(strings.ToLower(s.Raw.URL.Reveal()), "https://") {
		return "managedMcpServers may only hold https http/sse servers"
	}
	return ""
}

// claudeVar is Claude Code's reference syntax: ${NAME} or ${NAME:-default}.
// Anything else ($NAME, ${A-b}, ${ A}) is left alone, as Claude Code does.
var claudeVar = lazyre.New(`\$\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}`)

// expander expands references the way Claude Code does, remembering which
// variables were missing and which substituted values look like secrets.
type expander struct {
	env     Env
	changed bool // some reference was replaced
	missing []string
	secrets []Secret
}

// expand expands references in one value. An unset variable without a
// default stays as written and is reported as missing. Env cannot tell an
// empty variable from an unset one, so an empty one counts as unset here
// (Claude Code would substitute the empty string).
func (x *expander) expand(v string) string {
	if !strings.Contains(v, "${") {
		return v
	}
	var b strings.Builder
	last := 0
	for _, m := range claudeVar.FindAllStringSubmatchIndex(v, -1) {
		b.WriteString(v[last:m[0]])
		last = m[1]
		name := v[m[2]:m[3]]
		switch val := x.env.Expand(name); {
		case val != "":
			x.changed = true
			b.WriteString(val)
			if IsSecretName(name) {
				x.secrets = append(x.secrets, Secret(val))
			}
		case m[4] >= 0:
			x.changed = true
			b.WriteString(v[m[4]+2 : m[5]])
		default:
			b.WriteString(v[m[0]:m[1]])
			if !slices.Contains(x.missing, name) {
				x.missing = append(x.missing, name)
			}
		}
	}
	b.WriteString(v[last:])
	return b.String()
}

// server expands the fields Claude Code expands: command, args, env values,
// url, header values and headersHelper.
func (x *expander) server(s *Server) {
	s.Raw.Command = Secret(x.expand(s.Raw.Command.Reveal()))
	s.Command = s.Raw.Command.Reveal()
	for i, a := range s.Raw.Args {
		s.Raw.Args[i] = Secret(x.expand(a.Reveal()))
	}
	for i, e := range s.Raw.Env {
		s.Raw.Env[i].Value = Secret(x.expand(e.Value.Reveal()))
	}
	s.Raw.URL = Secret(x.expand(s.Raw.URL.Reveal()))
	for i, h := range s.Raw.Headers {
		s.Raw.Headers[i].Value = Secret(x.expand(h.Value.Reveal()))
	}
	s.Raw.HeadersHelper = Secret(x.expand(s.Raw.HeadersHelper.Reveal()))
}
