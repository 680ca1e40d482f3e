package registry

import (
	"os"
	"path/filepath"
)

// Config-file formats, as UserConfig reports them.
const (
	FormatJSON       = "json"        // strict JSON, any layout
	FormatJSONC      = "jsonc"       // JSON with comments and trailing commas
	FormatClaudeJSON = "claude-json" // ~/.claude.json: Node's layout, written under Claude Code's lock
	FormatTOML       = "toml"        // Codex's config.toml
)

// UserConfigFile is the user-level file a client reads its MCP servers from:
// the one an installer writes.
type UserConfigFile struct {
	Client  string `json:"client"`
	Path    string `json:"path"`
	Servers string `json:"servers"` // the top-level key (TOML table) that maps names to entries
	Format  string `json:"format"`
	// Dir is the client's own directory: when it exists the client is
	// installed on this machine.
	Dir string `json:"dir"`
}

// Found reports whether the client seems installed: its directory exists.
func (u UserConfigFile) Found() bool {
	fi, err := os.Stat(u.Dir)
	return err == nil && fi.IsDir()
}

// UserConfig returns client's user-level config file in env, the same file
// its discoverer reads (Claude Code's user scope; Claude Desktop's Microsoft
// Store copy on Windows when there is one). ok is false for an unknown client.
func UserConfig(env Env, client string) (u UserConfigFile, ok bool) {
	env = env.withDefaults()
	u = UserConfigFile{Client: client, Servers: "mcpServers", Format: FormatJSON}
	switch client {
	case ClaudeCode:
		u.Path, u.Format, u.Dir = env.ClaudeJSON(), FormatClaudeJSON, env.ClaudeConfigHome()
	case ClaudeDesktop:
		u.Path = filepath.Join(env.AppData(), "Claude", desktopConfig)
		if msix := desktopMSIXFiles(env); len(msix) > 0 {
			u.Path = msix[0]
		}
	case Cursor:
		u.Path = env.Join(".cursor", "mcp.json")
	case VSCode:
		u.Path, u.Servers, u.Format = filepath.Join(env.AppData(), "Code", "User", "mcp.json"), "servers", FormatJSONC
	case Windsurf:
		u.Path = env.Join(".codeium", "windsurf", "mcp_config.json")
	case Codex:
		home := env.Var("CODEX_HOME")
		if home == "" {
			home = env.Join(".codex")
		}
		u.Path, u.Servers, u.Format = filepath.Join(home, "config.toml"), "mcp_servers", FormatTOML
	case Gemini:
		u.Path, u.Format = env.Join(".gemini", "settings.json"), FormatJSONC
	case Zed:
		u.Path, u.Servers, u.Format = zedSettings(env), "context_servers", FormatJSONC
	default:
		return u, false
	}
	if u.Dir == "" {
		u.Dir = filepath.Dir(u.Path)
	}
	return u, true
}
