package registry

import "github.com/tidwall/gjson"

// windsurfURL is why a Cursor-style entry does nothing in Windsurf.
const windsurfURL = "Windsurf reads serverUrl, not url"

// discoverWindsurf reads ~/.codeium/windsurf/mcp_config.json (the same place
// on every OS). Windsurf takes a remote server's address from serverUrl; an
// entry with only url is listed, with that url, but Windsurf does not use it.
func discoverWindsurf(env Env) ([]Server, []Problem) {
	files := []configFile{{scope: "user", path: env.Join(".codeium", "windsurf", "mcp_config.json"), servers: "mcpServers"}}
	servers, problems := readServers(Windsurf, files, func(s *Server, v, _ gjson.Result) {
		entry(s, v, env, "serverUrl", "url")
		s.Disabled = v.Get("disabled").Bool()
		if s.Command == "" && !v.Get("serverUrl").Exists() && v.Get("url").Exists() {
			s.Effective = false
			s.Problems = append(s.Problems, windsurfURL)
		}
	})
	homeWorkDir(env, servers)
	return servers, problems
}
