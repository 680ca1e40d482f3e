package registry

import (
	"path/filepath"
	"testing"
)

func TestVSCode(t *testing.T) {
	base := ocHome(t, "vscode")
	mac := []string{
		"fetch user stdio uvx mcp-server-fetch env=[TOKEN OTHER] hdr=[] effective | env TOKEN uses ${input:missing-id}, which inputs does not define",
		"github user http https://api.githubcopilot.com/mcp/ env=[] hdr=[Authorization] effective",
		"legacy user stdio node legacy.js env=[K] hdr=[] effective | env K uses ${input:gone}, which inputs does not define",
	}
	cases := []struct {
		name, home, goos, cwd string
		vars                  map[string]string // relative to home
		servers, probs        []string
	}{
		{
			name: "macOS user mcp.json and legacy settings.json", home: "mac", goos: "darwin",
			servers: ocCat(mac,
				"shared user stdio npx user-version env=[] hdr=[] effective",
				"shared user stdio npx settings-version env=[] hdr=[] shadowed by user T/mac/Library/Application Support/Code/User/mcp.json",
				"sse.one user sse https://sse.example.com/sse?token=[redacted] env=[] hdr=[] effective",
			),
		},
		{
			name: "workspace wins", home: "mac", goos: "darwin", cwd: "ws",
			servers: ocCat(mac,
				"shared workspace http http://localhost:8080/mcp env=[] hdr=[X-Key] effective",
				"shared user stdio npx user-version env=[] hdr=[] shadowed by workspace T/ws/.vscode/mcp.json",
				"shared user stdio npx settings-version env=[] hdr=[] shadowed by workspace T/ws/.vscode/mcp.json",
				"sse.one user sse https://sse.example.com/sse?token=[redacted] env=[] hdr=[] effective",
			),
		},
		{name: "Linux", home: "linux", goos: "linux", servers: []string{"linux-only user stdio mcp-linux env=[] hdr=[] effective"}},
		{name: "Windows APPDATA", home: "win", goos: "windows", vars: map[string]string{"APPDATA": "Roaming"},
			servers: []string{"win-only user stdio mcp-win.exe env=[] hdr=[] effective"}},
		{name: "Windows without APPDATA reads AppData/Roaming", home: "win", goos: "windows"},
		{name: "malformed JSONC keeps true positions", home: "bad", goos: "linux",
			probs: []string{"T/bad/.config/Code/User/mcp.json:5:19 invalid JSON: invalid character '\"' after object key:value pair"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			home := ocHome(t, "vscode", c.home)
			vars := map[string]string{}
			for k, v := range c.vars {
				vars[k] = filepath.Join(home, v)
			}
			cwd := ""
			if c.cwd != "" {
				cwd = ocHome(t, "vscode", c.cwd)
			}
			servers, problems := discoverVSCode(ocEnv(home, cwd, c.goos, vars))
			ocCompare(t, "servers", ocLines(servers, base), c.servers)
			ocCompare(t, "problems", ocProblemLines(problems, base), c.probs)
			ocPathFinds(t, servers)
			ocNoCanary(t, servers)
		})
	}
}

func TestVSCodeLegacyPath(t *testing.T) {
	servers, _ := discoverVSCode(ocEnv(ocHome(t, "vscode", "mac"), "", "darwin", nil))
	s := ocServer(t, servers, "legacy", "user")
	if s.Path != "mcp.servers.legacy" || filepath.Base(s.File) != "settings.json" {
		t.Errorf("legacy entry at %s %s", s.File, s.Path)
	}
	if r := ocRaw(ocServer(t, servers, "github", "user")); r["header Authorization"] != "Bearer ${input:api-key}" {
		t.Errorf("raw github: %v", r)
	}
}
