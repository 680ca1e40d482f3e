package registry

import (
	"github.com/tidwall/gjson"
)

// discoverGemini reads Gemini CLI's ~/.gemini/settings.json and the project's
// .gemini/settings.json (JSON with comments); a project entry overrides a user
// one of the same name. Gemini picks the transport by key: httpUrl is
// streamable HTTP, url is SSE (unless type says "http"), else command is
// stdio. Top-level mcp.excluded disables the servers it names and
// mcp.allowed, when set, disables every server it does not name; the
// project's lists replace the user's.
func discoverGemini(env Env) ([]Server, []Problem) {
	user := env.Join(".gemini", "settings.json")
	var files []configFile
	if p, ok := projectFile(env, user, ".gemini", "settings.json"); ok {
		f := configFile{scope: "project", project: env.CWD, path: p, servers: "mcpServers", jsonc: true}
		if !geminiTrusted(env, env.CWD) {
			f.untrusted = geminiTrustHint(env.CWD, geminiTrustFile(env))
		}
		files = append(files, f)
	}
	files = append(files, configFile{scope: "user", path: user, servers: "mcpServers", jsonc: true})

	servers, problems := readServers(Gemini, files, func(s *Server, v, _ gjson.Result) {
		entry(s, v, env, "httpUrl", "url")
		switch {
		case v.Get("httpUrl").Exists():
			s.Transport = HTTP
		case v.Get("url").Exists() && s.Raw.Type != "" && transportOf(s.Raw.Type, "", "") == HTTP:
			s.Transport = HTTP
		case v.Get("url").Exists():
			s.Transport = SSE
		}
	})
	allowed, excluded := geminiLists(files)
	for i := range servers {
		s := &servers[i]
		if excluded[s.Name] || allowed != nil && !allowed[s.Name] {
			s.Disabled = true
		}
	}
	placeJSONWorkDirs(env, servers)
	return servers, problems
}

// geminiLists returns mcp.allowed and mcp.excluded, each from the
// highest-precedence file that sets it (nil when none does). Files that do not
// parse were reported by readServers already.
func geminiLists(files []configFile) (allowed, excluded map[string]bool) {
	for _, f := range files {
		data, _, ok := readJSONC(Gemini, f.path)
		if !ok {
			continue
		}
		doc := gjson.ParseBytes(data)
		if allowed == nil {
			allowed = nameSet(doc.Get("mcp.allowed"))
		}
		if excluded == nil {
			excluded = nameSet(doc.Get("mcp.excluded"))
		}
	}
	return allowed, excluded
}

// nameSet returns the strings of a JSON array as a set, or nil when v is not
// an array (an empty array is an empty, non-nil set).
func nameSet(v gjson.Result) map[string]bool {
	if !v.IsArray() {
		return nil
	}
	set := map[string]bool{}
	for _, n := range v.Array() {
		set[n.String()] = true
	}
	return set
}
