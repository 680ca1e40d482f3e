package registry

import "github.com/tidwall/gjson"

// discoverCursor reads Cursor's global ~/.cursor/mcp.json (on Windows
// %USERPROFILE%\.cursor, which is the home directory too) and the current
// project's .cursor/mcp.json. Cursor merges the two; a project entry
// overrides a global one of the same name.
func discoverCursor(env Env) ([]Server, []Problem) {
	global := env.Join(".cursor", "mcp.json")
	var files []configFile
	if p, ok := projectFile(env, global, ".cursor", "mcp.json"); ok {
		files = append(files, configFile{scope: "project", project: env.CWD, path: p, servers: "mcpServers", untrusted: cursorTrustHint(env.CWD)})
	}
	files = append(files, configFile{scope: "global", path: global, servers: "mcpServers"})
	servers, problems := readServers(Cursor, files, func(s *Server, v, _ gjson.Result) { entry(s, v, env) })
	placeJSONWorkDirs(env, servers)
	return servers, problems
}
