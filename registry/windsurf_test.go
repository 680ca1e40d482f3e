package registry

import "testing"

func TestWindsurf(t *testing.T) {
	shapes := []string{
		"both user stdio node server.js env=[] hdr=[] effective",
		"cursor style user http https://mcp.example.com/mcp env=[] hdr=[X-Api-Key] ignored | Windsurf reads serverUrl, not url",
		"off user stdio npx -y @modelcontextprotocol/server-memory env=[] hdr=[] effective,disabled",
		"remote user http https://mcp.example.com/mcp?api_key=[redacted] env=[] hdr=[Authorization] effective",
		"x.y*z user stdio uvx mcp-server-fetch env=[SECRET] hdr=[] effective",
	}
	cases := []struct {
		name, home, goos string
		servers, probs   []string
	}{
		{name: "shapes", home: "home", goos: "linux", servers: shapes},
		// Windsurf keeps the file under the home directory on every OS.
		{name: "windows", home: "home", goos: "windows", servers: shapes},
		{
			name: "unterminated string", home: "bad", goos: "darwin",
			probs: []string{"T/bad/.codeium/windsurf/mcp_config.json:3:34 invalid JSON: invalid character '\\n' in string literal"},
		},
		{name: "no file", home: "missing", goos: "linux"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			base := ocHome(t, "windsurf")
			servers, problems := discoverWindsurf(ocEnv(ocHome(t, "windsurf", c.home), "", c.goos, nil))
			ocCompare(t, "servers", ocLines(servers, base), c.servers)
			ocCompare(t, "problems", ocProblemLines(problems, base), c.probs)
			ocPathFinds(t, servers)
			ocNoCanary(t, servers)
		})
	}
	servers, _ := discoverWindsurf(ocEnv(ocHome(t, "windsurf", "home"), "", "linux", nil))
	if r := ocRaw(ocServer(t, servers, "remote", "user")); r["url"] != "https://mcp.example.com/mcp?api_key=CANARY-windsurf-q" || r["header Authorization"] != "Bearer CANARY-windsurf-hdr" {
		t.Errorf("raw remote: %v", r)
	}
}
