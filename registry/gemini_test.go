package registry

import "testing"

func TestGemini(t *testing.T) {
	base := ocHome(t, "gemini")
	cases := []struct {
		name, home, cwd string
		servers, probs  []string
	}{
		{
			// mcp.allowed disables typed and both.
			name: "user", home: "home",
			servers: []string{
				"both user http https://both.example.com/mcp env=[] hdr=[] effective,disabled",
				"http-one user http https://mcp.example.com/mcp?key=[redacted] env=[] hdr=[] effective",
				"shared user stdio user-shared env=[] hdr=[] effective",
				"sse-one user sse https://sse.example.com/sse env=[] hdr=[Authorization] effective",
				"stdio-one user stdio npx -y server env=[KEY] hdr=[] effective",
				"typed user http https://typed.example.com/mcp env=[] hdr=[] effective,disabled",
			},
		},
		{
			// The project overrides shared and excludes http-one; the user's
			// allow list still applies since the project sets none.
			name: "project", home: "home", cwd: "proj",
			servers: []string{
				"both user http https://both.example.com/mcp env=[] hdr=[] effective,disabled",
				"http-one user http https://mcp.example.com/mcp?key=[redacted] env=[] hdr=[] effective,disabled",
				"shared project http http://127.0.0.1:9000/mcp env=[] hdr=[X-Api-Key] effective",
				"shared user stdio user-shared env=[] hdr=[] shadowed by project T/proj/.gemini/settings.json",
				"sse-one user sse https://sse.example.com/sse env=[] hdr=[Authorization] effective",
				"stdio-one user stdio npx -y server env=[KEY] hdr=[] effective",
				"typed user http https://typed.example.com/mcp env=[] hdr=[] effective,disabled",
			},
		},
		{
			name: "malformed user file, project still listed", home: "bad", cwd: "proj",
			servers: []string{"shared project http http://127.0.0.1:9000/mcp env=[] hdr=[X-Api-Key] effective"},
			probs:   []string{"T/bad/.gemini/settings.json:4:22 invalid JSON: invalid character '}' looking for beginning of value"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cwd := ""
			if c.cwd != "" {
				cwd = ocHome(t, "gemini", c.cwd)
			}
			servers, problems := discoverGemini(ocEnv(ocHome(t, "gemini", c.home), cwd, "linux", nil))
			ocCompare(t, "servers", ocLines(servers, base), c.servers)
			ocCompare(t, "problems", ocProblemLines(problems, base), c.probs)
			ocPathFinds(t, servers)
			ocNoCanary(t, servers)
		})
	}
	servers, _ := discoverGemini(ocEnv(ocHome(t, "gemini", "home"), "", "linux", nil))
	if s := ocServer(t, servers, "stdio-one", "user"); s.Cwd != "./srv" {
		t.Errorf("cwd = %q", s.Cwd)
	}
}
