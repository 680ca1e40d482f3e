package registry

import "testing"

func TestCursor(t *testing.T) {
	home := ocHome(t, "cursor", "home")
	global := []string{
		"a.b global sse https://[redacted]@sse.example.com/sse env=[] hdr=[] effective",
		"env* global stdio python -m server --token=[redacted] env=[API_KEY] hdr=[] effective",
		"linear global http https://mcp.linear.app/mcp env=[] hdr=[Authorization X-Team] effective",
	}
	cases := []struct {
		name, cwd string
		servers   []string
		problems  []string
	}{
		{name: "global only (no cwd)", servers: ocCat(global, "shared global stdio npx -y @modelcontextprotocol/server-everything env=[] hdr=[] effective")},
		{name: "cwd is home: the global file is not also a project file", cwd: home,
			servers: ocCat(global, "shared global stdio npx -y @modelcontextprotocol/server-everything env=[] hdr=[] effective")},
		{name: "project overrides global", cwd: ocHome(t, "cursor", "proj"),
			servers: append(global[:2:2], global[2],
				"project only project stdio ./bin/server env=[] hdr=[] effective",
				"shared project http http://127.0.0.1:3000/mcp env=[] hdr=[] effective",
				"shared global stdio npx -y @modelcontextprotocol/server-everything env=[] hdr=[] shadowed by project T/proj/.cursor/mcp.json",
			)},
		{name: "malformed project file, global still listed", cwd: ocHome(t, "cursor", "badproj"),
			servers:  ocCat(global, "shared global stdio npx -y @modelcontextprotocol/server-everything env=[] hdr=[] effective"),
			problems: []string{"T/badproj/.cursor/mcp.json:5:3 invalid JSON: invalid character '\"' after object key:value pair"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			servers, problems := discoverCursor(ocEnv(home, c.cwd, "linux", nil))
			base := ocHome(t, "cursor")
			ocCompare(t, "servers", ocLines(servers, base), c.servers)
			ocCompare(t, "problems", ocProblemLines(problems, base), c.problems)
			ocPathFinds(t, servers)
			ocNoCanary(t, servers)
			ocNoCanary(t, problems)
			for _, s := range servers {
				if (s.Scope == "project") != (s.Project == c.cwd && c.cwd != "") {
					t.Errorf("%s: scope %s with project %q", s.Name, s.Scope, s.Project)
				}
			}
		})
	}
}
