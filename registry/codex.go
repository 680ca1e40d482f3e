package registry

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/tidwall/gjson"
)

// discoverCodex reads [mcp_servers.NAME] tables from Codex's
// $CODEX_HOME/config.toml (~/.codex/config.toml) and from the current
// project's .codex/config.toml, which Codex loads only when the project is
// trusted in the user file and which then wins for the same name.
func discoverCodex(env Env) ([]Server, []Problem) {
	home := env.Var("CODEX_HOME")
	if home == "" {
		home = env.Join(".codex")
	}
	userPath := filepath.Join(home, "config.toml")
	user, userProb, userOK := readTOML(Codex, userPath)

	var servers []Server
	var problems []Problem
	trusted, why := codexTrust(user, userOK, userPath, env.CWD)
	if p, ok := projectFile(env, userPath, ".codex", "config.toml"); ok {
		doc, prob, ok := readTOML(Codex, p)
		if prob != nil {
			problems = append(problems, *prob)
		}
		if ok {
			s, probs := codexServers(env, doc, "project", env.CWD, p, trusted)
			for i := range s {
				if !trusted {
					s[i].Effective = false
					s[i].Problems = append(s[i].Problems, why)
					s[i].untrust(codexTrustHint(env.CWD, userPath))
				}
			}
			servers = append(servers, s...)
			problems = append(problems, probs...)
		}
	}
	if userProb != nil {
		problems = append(problems, *userProb)
	}
	if userOK {
		s, probs := codexServers(env, user, "user", "", userPath, true)
		servers = append(servers, s...)
		problems = append(problems, probs...)
	}
	for i := range servers {
		servers[i].placeWorkDir(env, env.CWD, trusted, fmt.Sprintf(
			"Codex starts this server in the session's folder; %s is not a trusted project, so mcpmend starts it in the home directory", env.CWD))
	}
	shadow(servers)
	return servers, problems
}

// codexTrust reports whether Codex loads dir's .codex/config.toml: the
// nearest of dir and its parents (the git root among them) that has a
// [projects."<path>"] trust_level decides, and it must be "trusted". When
// not, why says so and how to fix it.
func codexTrust(user tomlDoc, userOK bool, userPath, dir string) (trusted bool, why string) {
	why = fmt.Sprintf("Codex reads .codex/config.toml only in trusted projects; %s is not trusted in %s", dir, userPath)
	if !userOK {
		return false, why
	}
	projects, _ := user.root["projects"].(map[string]any)
	levels := map[string]string{}
	for k, v := range projects {
		if t, ok := v.(map[string]any); ok {
			if lvl, ok := t["trust_level"].(string); ok {
				levels[filepath.Clean(k)] = lvl
			}
		}
	}
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if lvl, ok := levels[d]; ok {
			return lvl == "trusted", why
		}
		if filepath.Dir(d) == d {
			return false, why
		}
	}
}

// codexServers lists one file's [mcp_servers.NAME] tables in file order.
//
// An entry from a project Codex does not trust (trusted false) takes
// nothing from the environment: its env_http_headers and
// bearer_token_env_var are named, never read.
func codexServers(env Env, doc tomlDoc, scope, project, file string, trusted bool) ([]Server, []Problem) {
	raw, ok := doc.root["mcp_servers"]
	if !ok {
		return nil, nil
	}
	table, ok := raw.(map[string]any)
	if !ok {
		return nil, []Problem{{Client: Codex, File: file, Message: fmt.Sprintf("mcp_servers is %s, not a table", tomlKind(raw))}}
	}
	var out []Server
	for _, name := range doc.keys(table, []string{"mcp_servers"}) {
		s := Server{
			Name: name, Client: Codex, Scope: scope, Project: project,
			File: file, Path: "mcp_servers." + escape(name), Effective: true,
		}
		codexEntry(&s, doc, table[name], []string{"mcp_servers", name}, env, trusted)
		out = append(out, s)
	}
	return out, nil
}

// codexEntry fills a server from its table. The fields shared with the JSON
// clients go through entry(); Codex's own header fields are added after.
func codexEntry(s *Server, doc tomlDoc, v any, path []string, env Env, trusted bool) {
	m, ok := v.(map[string]any)
	if !ok {
		s.Raw.Entry = doc.json(v, path)
		s.Transport = Stdio
		s.Problems = append(s.Problems, fmt.Sprintf("entry is %s, not a table", tomlKind(v)))
		return
	}
	s.Problems = append(s.Problems, codexTypeProblems(m)...)
	// Only the fields Codex reads, so that a stray "headers" or "type" is not
	// taken for configuration.
	var parts []string
	for _, k := range []string{"command", "args", "env", "cwd", "url"} {
		if fv, ok := m[k]; ok {
			parts = append(parts, jsonString(k)+":"+doc.json(fv, append(path, k)))
		}
	}
	entry(s, gjson.Parse("{"+strings.Join(parts, ",")+"}"), env)
	s.Raw.Entry = doc.json(m, path)
	if enabled, ok := m["enabled"].(bool); ok && !enabled {
		s.Disabled = true
	}
	codexHeaders(s, doc, m, path, env, trusted)
}

// codexHeaders adds http_headers (values as written), env_http_headers (values
// from the named environment variables) and bearer_token_env_var (an
// Authorization header). A header whose variable is unset is still named, with
// a problem: Codex sends it without a value or not at all.
func codexHeaders(s *Server, doc tomlDoc, m map[string]any, path []string, env Env, trusted bool) {
	add := func(name, value string) {
		s.Raw.Headers = append(s.Raw.Headers, Header{Name: name, Value: Secret(value)})
		s.HeaderNames = append(s.HeaderNames, name)
	}
	fromEnv := func(header, variable, prefix string) {
		if !trusted {
			s.HeaderNames = append(s.HeaderNames, header)
			return
		}
		if val := env.Expand(variable); val != "" {
			add(header, prefix+val)
			return
		}
		s.HeaderNames = append(s.HeaderNames, header)
		s.Problems = append(s.Problems, fmt.Sprintf("header %s comes from $%s, which is not set here", header, variable))
	}
	if h, ok := m["http_headers"].(map[string]any); ok {
		for _, k := range doc.keys(h, append(path, "http_headers")) {
			add(k, fmt.Sprint(h[k]))
		}
	}
	if h, ok := m["env_http_headers"].(map[string]any); ok {
		for _, k := range doc.keys(h, append(path, "env_http_headers")) {
			fromEnv(k, fmt.Sprint(h[k]), "")
		}
	}
	if v, ok := m["bearer_token_env_var"].(string); ok && v != "" {
		fromEnv("Authorization", v, "Bearer ")
	}
}

// codexTypeProblems names fields whose TOML type Codex rejects (Codex then
// refuses the whole file, so these are worth fixing first).
func codexTypeProblems(m map[string]any) []string {
	want := []struct{ field, kind string }{
		{"command", "string"}, {"url", "string"}, {"cwd", "string"}, {"bearer_token_env_var", "string"},
		{"args", "array"}, {"env", "table"}, {"http_headers", "table"}, {"env_http_headers", "table"},
		{"enabled", "boolean"},
	}
	var out []string
	for _, w := range want {
		if v, ok := m[w.field]; ok && tomlKind(v) != article(w.kind) {
			out = append(out, fmt.Sprintf("%s is %s, not %s", w.field, tomlKind(v), article(w.kind)))
		}
	}
	if args, ok := m["args"].([]any); ok {
		for i, a := range args {
			if _, ok := a.(string); !ok {
				out = append(out, fmt.Sprintf("args[%d] is %s, not a string", i, tomlKind(a)))
			}
		}
	}
	return out
}

// tomlKind names a decoded TOML value's type for messages.
func tomlKind(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int64, float64:
		return "a number"
	case map[string]any:
		return "a table"
	case []any, []map[string]any:
		return "an array"
	}
	return "a date"
}

func article(kind string) string {
	if strings.ContainsAny(kind[:1], "aeiou") {
		return "an " + kind
	}
	return "a " + kind
}
