package registry

import (
	"path/filepath"
	"testing"
)

func TestDesktop(t *testing.T) {
	remote := "Claude Desktop skips remote entries; use Settings → Connectors"
	cases := []struct {
		name, home, goos string
		vars             map[string]string // relative paths are under home
		servers          []string
		problems         []string
	}{
		{
			name: "macOS", home: "mac", goos: "darwin",
			servers: []string{
				"filesystem user stdio npx -y @modelcontextprotocol/server-filesystem /Users/me/Documents env=[] hdr=[] effective",
				"github.com user stdio docker run -i --rm -e GITHUB_PERSONAL_ACCESS_TOKEN --api-key [redacted] ghcr.io/github/github-mcp-server env=[GITHUB_PERSONAL_ACCESS_TOKEN LOG_LEVEL] hdr=[] effective",
				"remote * user http https://[redacted]@mcp.example.com/mcp?team=a&token=[redacted] env=[] hdr=[Authorization] ignored | " + remote,
				"two words user sse https://sse.example.com/sse env=[] hdr=[] ignored | " + remote,
			},
		},
		{
			name: "Linux ~/.config", home: "linux", goos: "linux",
			servers: []string{"memory user stdio npx -y @modelcontextprotocol/server-memory env=[] hdr=[] effective"},
		},
		{
			name: "Linux XDG_CONFIG_HOME", home: "linux", goos: "linux", vars: map[string]string{"XDG_CONFIG_HOME": "xdg"},
			servers: []string{"from-xdg user stdio uvx mcp-server-time env=[] hdr=[] effective"},
		},
		{
			name: "Windows APPDATA", home: "win-plain", goos: "windows",
			servers: []string{"plain user stdio npx.cmd -y mcp-remote https://mcp.example.com/sse --header Authorization: [redacted] env=[] hdr=[] effective"},
		},
		{
			// The Store build reads its redirected copy; the %APPDATA% file's
			// entries are listed but not effective.
			name: "Windows MSIX", home: "win", goos: "windows", vars: map[string]string{"APPDATA": "Roaming", "LOCALAPPDATA": "Local"},
			servers: []string{
				"everything user stdio npx.cmd -y @modelcontextprotocol/server-everything stdio env=[] hdr=[] effective",
				"everything user stdio npx.cmd -y @modelcontextprotocol/server-everything env=[] hdr=[] shadowed by user T/win/Local/Packages/Claude_pzs8sxrjxfjjc/LocalCache/Roaming/Claude/claude_desktop_config.json",
				"roaming-only user stdio node C:\\tools\\server.js env=[] hdr=[] ignored | the Microsoft Store build of Claude Desktop reads T/win/Local/Packages/Claude_pzs8sxrjxfjjc/LocalCache/Roaming/Claude/claude_desktop_config.json instead of this file",
			},
		},
		{
			name: "Windows paths are not read on macOS", home: "win", goos: "darwin", vars: map[string]string{"APPDATA": "Roaming", "LOCALAPPDATA": "Local"},
		},
		{
			name: "malformed", home: "malformed", goos: "linux",
			problems: []string{"T/malformed/.config/Claude/claude_desktop_config.json:3:26 invalid JSON: invalid character '}' looking for beginning of object key string"},
		},
		{
			name: "not an object", home: "array", goos: "linux",
			problems: []string{"T/array/.config/Claude/claude_desktop_config.json:0:0 the file holds an array, not an object"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			home := ocHome(t, "desktop", c.home)
			vars := map[string]string{}
			for k, v := range c.vars {
				vars[k] = filepath.Join(home, v)
			}
			servers, problems := discoverDesktop(ocEnv(home, "", c.goos, vars))
			base := ocHome(t, "desktop")
			ocCompare(t, "servers", ocLines(servers, base), c.servers)
			ocCompare(t, "problems", ocProblemLines(problems, base), c.problems)
			ocPathFinds(t, servers)
			ocNoCanary(t, servers)
			for _, s := range servers {
				if s.Client != ClaudeDesktop || s.Project != "" {
					t.Errorf("%s: client %q project %q", s.Name, s.Client, s.Project)
				}
			}
		})
	}
}

// The secrets are still read, unredacted, for dialling.
func TestDesktopKeepsRawSecrets(t *testing.T) {
	home := ocHome(t, "desktop", "mac")
	servers, _ := discoverDesktop(ocEnv(home, "", "darwin", nil))
	gh := ocRaw(ocServer(t, servers, "github.com", "user"))
	if gh["env GITHUB_PERSONAL_ACCESS_TOKEN"] != "CANARY-desktop-env" || gh["arg 6"] != "CANARY-desktop-arg" {
		t.Errorf("raw github.com: %v", gh)
	}
	r := ocRaw(ocServer(t, servers, "remote *", "user"))
	if r["header Authorization"] != "Bearer CANARY-desktop-hdr" || r["url"] != "https://user:CANARY-desktop-pw@mcp.example.com/mcp?token=CANARY-desktop-q&team=a" {
		t.Errorf("raw remote: %v", r)
	}
}
