package registry

import (
	"path/filepath"
	"testing"
)

func TestZed(t *testing.T) {
	base := ocHome(t, "zed")
	cases := []struct {
		name, home, goos string
		vars             map[string]string // relative to home
		servers, probs   []string
	}{
		{
			name: "Linux shapes", home: "linux", goos: "linux",
			servers: []string{
				"flat user stdio npx -y @modelcontextprotocol/server-memory env=[] hdr=[] effective",
				"mcp-server-github user stdio  env=[] hdr=[] effective | " + zedExtension,
				"odd user stdio  env=[] hdr=[] effective | entry is a string, not an object | neither command nor url is set",
				"old-form user stdio /usr/bin/node server.js --api-key [redacted] env=[TOKEN] hdr=[] effective",
				"remote.srv user http https://mcp.example.com/mcp env=[] hdr=[Authorization] effective",
			},
		},
		{name: "Linux XDG_CONFIG_HOME", home: "linux", goos: "linux", vars: map[string]string{"XDG_CONFIG_HOME": "xdg"},
			servers: []string{"from-xdg user stdio xdg-server env=[] hdr=[] effective"}},
		{name: "macOS uses ~/.config, not Library", home: "mac", goos: "darwin",
			servers: []string{"mac user stdio mac-server env=[] hdr=[] effective"}},
		{name: "Windows APPDATA", home: "win", goos: "windows", vars: map[string]string{"APPDATA": "Roaming"},
			servers: []string{"win user stdio win-server.exe env=[] hdr=[] effective"}},
		{name: "malformed", home: "bad", goos: "linux",
			probs: []string{"T/bad/.config/zed/settings.json:3:27 invalid JSON: invalid character ',' looking for beginning of object key string"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			home := ocHome(t, "zed", c.home)
			vars := map[string]string{}
			for k, v := range c.vars {
				vars[k] = filepath.Join(home, v)
			}
			servers, problems := discoverZed(ocEnv(home, "", c.goos, vars))
			ocCompare(t, "servers", ocLines(servers, base), c.servers)
			ocCompare(t, "problems", ocProblemLines(problems, base), c.probs)
			ocPathFinds(t, servers)
			ocNoCanary(t, servers)
		})
	}
}

// The older {"command": {path, args, env}} form yields the same raw
// configuration as the flat one, and keeps its entry as written.
func TestZedOldForm(t *testing.T) {
	servers, _ := discoverZed(ocEnv(ocHome(t, "zed", "linux"), "", "linux", nil))
	s := ocServer(t, servers, "old-form", "user")
	r := ocRaw(s)
	if s.Command != "/usr/bin/node" || r["env TOKEN"] != "CANARY-zed-env" || r["arg 2"] != "CANARY-zed-arg" {
		t.Errorf("old form: command %q raw %v", s.Command, r)
	}
}
