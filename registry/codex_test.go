package registry

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

func TestCodex(t *testing.T) {
	base := ocHome(t, "codex")
	home := ocHome(t, "codex", "home")
	proj := ocHome(t, "codex", "proj")
	vars := map[string]string{"CODEX_TOKEN": "CANARY-codex-bearer", "CODEX_HEADER": "CANARY-codex-envhdr"}
	user := []string{
		"badtypes user stdio 5 not-an-array env=[] hdr=[] effective | command is a number, not a string | args is a string, not an array",
		"dotted.name user http https://mcp.example.com/mcp env=[] hdr=[X-Static X-From-Env X-Unset Authorization] effective | header X-Unset comes from $CODEX_UNSET, which is not set here",
		"github user stdio npx -y @modelcontextprotocol/server-github env=[GITHUB_PERSONAL_ACCESS_TOKEN A_SECOND] hdr=[] effective",
		"nobearer user http https://x.example.com/mcp env=[] hdr=[Authorization] effective | header Authorization comes from $CODEX_MISSING, which is not set here",
	}
	spaced := "with space* user stdio uvx mcp-server-fetch --token [redacted] env=[] hdr=[] effective,disabled"
	untrusted := "Codex reads .codex/config.toml only in trusted projects; T/proj is not trusted in "

	// A CODEX_HOME whose config.toml is the fixture's plus a trust table.
	trustHome := func(t *testing.T, trust map[string]string) string {
		data, err := os.ReadFile(filepath.Join(home, ".codex", "config.toml"))
		if err != nil {
			t.Fatal(err)
		}
		for dir, level := range trust {
			data = append(data, "\n[projects."+strconv.Quote(dir)+"]\ntrust_level = "+strconv.Quote(level)+"\n"...)
		}
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "config.toml"), data, 0o600); err != nil {
			t.Fatal(err)
		}
		return dir
	}

	cases := []struct {
		name, home, cwd string
		trust           map[string]string // written into a temporary CODEX_HOME
		codexHome       string            // CODEX_HOME under testdata/codex
		servers, probs  []string
	}{
		{name: "user", home: "home", servers: ocCat(user, "shared user stdio user-shared env=[] hdr=[] effective", spaced)},
		{name: "CODEX_HOME", home: "home", codexHome: "alt", servers: []string{"from-codex-home user stdio alt-server env=[] hdr=[] effective"}},
		{name: "untrusted project is not read", home: "home", cwd: "proj",
			servers: ocCat(user,
				"shared user stdio user-shared env=[] hdr=[] effective",
				"shared project http http://127.0.0.1:7000/mcp env=[] hdr=[] ignored | "+untrusted+"T/home/.codex/config.toml",
				spaced)},
		{name: "project trusted through its parent overrides", home: "home", cwd: "proj", trust: map[string]string{base: "trusted"},
			servers: ocCat(user,
				"shared project http http://127.0.0.1:7000/mcp env=[] hdr=[] effective",
				"shared user stdio user-shared env=[] hdr=[] shadowed by project T/proj/.codex/config.toml",
				spaced)},
		{name: "the nearest trust entry decides", home: "home", cwd: "proj", trust: map[string]string{base: "trusted", proj: "untrusted"},
			servers: ocCat(user,
				"shared user stdio user-shared env=[] hdr=[] effective",
				"shared project http http://127.0.0.1:7000/mcp env=[] hdr=[] ignored | "+untrusted+"TMP/config.toml",
				spaced)},
		{name: "malformed user file, project still listed", home: "bad", cwd: "proj",
			servers: []string{"shared project http http://127.0.0.1:7000/mcp env=[] hdr=[] ignored | " + untrusted + "T/bad/.codex/config.toml"},
			probs:   []string{"T/bad/.codex/config.toml:5:9 invalid TOML: expected value but found (value hidden) instead"}},
		{name: "malformed project file, user still listed", home: "home", cwd: "badproj",
			servers: ocCat(user, "shared user stdio user-shared env=[] hdr=[] effective", spaced),
			probs:   []string{"T/badproj/.codex/config.toml:3:2 invalid TOML: Key 'mcp_servers.y' has already been defined."}},
		{name: "an entry that is not a table", home: "scalar",
			servers: []string{"odd user stdio  env=[] hdr=[] effective | entry is a number, not a table"}},
		{name: "mcp_servers not a table", home: "notatable",
			probs: []string{"T/notatable/.codex/config.toml:0:0 mcp_servers is a string, not a table"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := map[string]string{}
			for k, val := range vars {
				v[k] = val
			}
			tmp := ""
			switch {
			case c.trust != nil:
				tmp = trustHome(t, c.trust)
				v["CODEX_HOME"] = tmp
			case c.codexHome != "":
				v["CODEX_HOME"] = ocHome(t, "codex", c.codexHome)
			}
			cwd := ""
			if c.cwd != "" {
				cwd = ocHome(t, "codex", c.cwd)
			}
			servers, problems := discoverCodex(ocEnv(ocHome(t, "codex", c.home), cwd, "linux", v))
			lines := ocLines(servers, base)
			if tmp != "" {
				for i := range lines {
					lines[i] = strings.ReplaceAll(lines[i], filepath.ToSlash(tmp), "TMP")
				}
			}
			ocCompare(t, "servers", lines, c.servers)
			ocCompare(t, "problems", ocProblemLines(problems, base), c.probs)
			ocNoCanary(t, servers)
			ocNoCanary(t, problems)
			for _, s := range servers {
				if s.Path != "mcp_servers."+escape(s.Name) || !gjson.Valid(s.Raw.Entry) {
					t.Errorf("%s: path %q entry %q", s.Name, s.Path, s.Raw.Entry)
				}
			}
		})
	}
}

// The raw configuration keeps file order and the values Codex would send.
func TestCodexRaw(t *testing.T) {
	env := ocEnv(ocHome(t, "codex", "home"), "", "darwin", map[string]string{"CODEX_TOKEN": "CANARY-codex-bearer", "CODEX_HEADER": "CANARY-codex-envhdr"})
	servers, _ := discoverCodex(env)
	gh := ocServer(t, servers, "github", "user")
	if got := gjson.Get(gh.Raw.Entry, "@keys").String(); got != `["command","args","env","startup_timeout_sec"]` {
		t.Errorf("entry keys %s, want file order", got)
	}
	if got := gjson.Get(gh.Raw.Entry, "env.@keys").String(); got != `["GITHUB_PERSONAL_ACCESS_TOKEN","A_SECOND"]` {
		t.Errorf("env keys %s, want file order", got)
	}
	d := ocRaw(ocServer(t, servers, "dotted.name", "user"))
	want := map[string]string{
		"url":                  "https://mcp.example.com/mcp",
		"header X-Static":      "CANARY-codex-static",
		"header X-From-Env":    "CANARY-codex-envhdr",
		"header Authorization": "Bearer CANARY-codex-bearer",
	}
	for k, v := range want {
		if d[k] != v {
			t.Errorf("raw %s = %q, want %q", k, d[k], v)
		}
	}
	if _, ok := d["header X-Unset"]; ok {
		t.Errorf("a header whose variable is unset has a raw value")
	}
}

func TestTOMLPosition(t *testing.T) {
	cases := []struct {
		in        string
		line, col int
	}{
		{"a = 1\n[b\nc=2\n", 2, 3}, // the parser itself says line 3: the newline ends line 2
		{"x = tru\n", 1, 5},
		{"[a]\nx=1\n[a]\n", 3, 2},
	}
	for _, c := range cases {
		p := filepath.Join(t.TempDir(), "config.toml")
		if err := os.WriteFile(p, []byte(c.in), 0o600); err != nil {
			t.Fatal(err)
		}
		_, prob, ok := readTOML(Codex, p)
		if ok || prob == nil || prob.Line != c.line || prob.Column != c.col {
			t.Errorf("%q: problem %+v, want %d:%d", c.in, prob, c.line, c.col)
		}
	}
}
