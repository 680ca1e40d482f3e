package registry

import (
	"os"
	"path/filepath"
)

// Location is one configuration file a client reads MCP servers from.
type Location struct {
	Client string `json:"client"`
	Scope  string `json:"scope"`
	Path   string `json:"path"`
	Exists bool   `json:"exists"`
}

// Locations lists the main configuration files Discover reads for each
// client (user files, and the current project's files), in client order,
// and whether each exists: what to show a user who expected servers and
// got none. Claude Code's managed and parent-directory files are left out.
func Locations(env Env) []Location {
	env = env.withDefaults()
	codexHome := env.Var("CODEX_HOME")
	if codexHome == "" {
		codexHome = env.Join(".codex")
	}
	vscodeUser := filepath.Join(env.AppData(), "Code", "User")
	var out []Location
	add := func(client, scope, path string) {
		_, err := os.Stat(path)
		out = append(out, Location{Client: client, Scope: scope, Path: path, Exists: err == nil})
	}
	project := func(client, scope, userPath string, elem ...string) {
		if p, ok := projectFile(env, userPath, elem...); ok {
			add(client, scope, p)
		}
	}
	add(ClaudeCode, ScopeUser, claudeMainFile(env))
	project(ClaudeCode, ScopeProject, "", ".mcp.json")
	for _, p := range desktopMSIXFiles(env) {
		add(ClaudeDesktop, "user", p)
	}
	add(ClaudeDesktop, "user", filepath.Join(env.AppData(), "Claude", desktopConfig))
	add(Cursor, "global", env.Join(".cursor", "mcp.json"))
	project(Cursor, "project", env.Join(".cursor", "mcp.json"), ".cursor", "mcp.json")
	add(VSCode, "user", filepath.Join(vscodeUser, "mcp.json"))
	project(VSCode, "workspace", filepath.Join(vscodeUser, "mcp.json"), ".vscode", "mcp.json")
	add(Windsurf, "user", env.Join(".codeium", "windsurf", "mcp_config.json"))
	add(Codex, "user", filepath.Join(codexHome, "config.toml"))
	project(Codex, "project", filepath.Join(codexHome, "config.toml"), ".codex", "config.toml")
	add(Gemini, "user", env.Join(".gemini", "settings.json"))
	project(Gemini, "project", env.Join(".gemini", "settings.json"), ".gemini", "settings.json")
	add(Zed, "user", zedSettings(env))
	return out
}
