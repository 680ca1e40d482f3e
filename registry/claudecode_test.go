package registry

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// userLines are the user servers of the main fixture as seen from a
// directory with no project of its own; proj shadows some of them.
var ccUserLines = map[string]string{
	"a.b":    `a.b user stdio dots env=[] hdr=[] effective @R/home/.claude.json | name does not match ^[A-Za-z0-9_-]+$: Claude Code loads it, but "claude mcp" commands reject such names`,
	"dup":    `dup user stdio user-dup env=[] hdr=[] effective @R/home/.claude.json`,
	"exp":    `exp user sse http://localhost:7/sse env=[] hdr=[X-Key] effective @R/home/.claude.json`,
	"github": `github user http https://api.example.com/mcp?token=[redacted] env=[] hdr=[Authorization X-Team] effective @R/home/.claude.json`,
	"gone":   `gone user stdio gone env=[] hdr=[] effective @R/home/.claude.json`,
	"miss":   `miss user stdio run ${NOPE} fallback env=[] hdr=[] effective @R/home/.claude.json | missing environment variables: NOPE (left as ${NAME}, as Claude Code does)`,
	"nt":     `nt user http http://127.0.0.1:7/nt env=[] hdr=[] ignored @R/home/.claude.json | Claude Code skips this entry: it has a "url" but no "type"; add "type": "http" (or "sse" / "ws")`,
	"oauth":  `oauth user http https://auth.example.com/mcp env=[] hdr=[] effective @R/home/.claude.json`,
	"sh":     `sh user http http://127.0.0.1:7/mcp env=[] hdr=[] effective @R/home/.claude.json`,
	"sp ace": `sp ace user stdio space env=[] hdr=[] effective @R/home/.claude.json | name does not match ^[A-Za-z0-9_-]+$: Claude Code loads it, but "claude mcp" commands reject such names`,
	"st*r":   `st*r user stdio star env=[] hdr=[] effective @R/home/.claude.json | name does not match ^[A-Za-z0-9_-]+$: Claude Code loads it, but "claude mcp" commands reject such names`,
	"stdio":  `stdio-env user stdio node srv.js --api-key [redacted] --token=[redacted] --label=[redacted] env=[SECRET PLAIN] hdr=[] effective @R/home/.claude.json`,
	"typo":   `typo user http http://127.0.0.1:7/foo env=[] hdr=[] ignored @R/home/.claude.json | Claude Code skips this entry: unknown type "foo"`,
	"wsx":    `wsx user ws wss://[redacted]@ws.example.com/x env=[] hdr=[] effective @R/home/.claude.json`,
}

// ccOtherProjects are the main fixture's projects other than proj, judged
// in their own project whatever the current directory.
var ccOtherProjects = []string{
	`dup local(R/other) stdio other-dup env=[] hdr=[] effective @R/home/.claude.json`,
	`ghost local(R/gone.dir) stdio ghost env=[] hdr=[] effective @R/home/.claude.json`,
	`o-proj project(R/other) stdio op env=[] hdr=[] pending ignored @R/other/.mcp.json`,
	`o-rej project(R/other) stdio orej env=[] hdr=[] rejected ignored @R/other/.mcp.json`,
	`only-other local(R/other) stdio oo env=[] hdr=[] effective @R/home/.claude.json`,
}

var ccMainProblems = []string{
	"R/home/.claude/settings.json:0:0 mcpServers here (2 servers) is not read by Claude Code any more; add them with `claude mcp add-json -s user NAME JSON`",
	"R/home/.claude/mcp.json:0:0 Claude Code does not read this file any more (1 server); add them with `claude mcp add-json -s user NAME JSON`",
	"R/home/.claude.json:0:0 (bad) mcpServers.bad is a string, not an object: Claude Code skips it",
	"R/proj/.mcp.json:0:0 (n) mcpServers.n is a number, not an object: Claude Code skips it",
}

// ccProjLines is what Claude Code started in proj (or, with sub as the
// project dir, in proj/sub of a git repository rooted at proj) sees.
func ccProjLines(sub string) []string {
	p := "project(R/proj" + sub + ")"
	return []string{
		ccUserLines["a.b"],
		`appr ` + p + ` stdio appr --port 3000 env=[] hdr=[] approved effective @R/proj/.mcp.json`,
		`appr ` + p + ` stdio parent-appr env=[] hdr=[] approved shadowed by project R/proj/.mcp.json @R/.mcp.json`,
		ccOtherProjects[0],
		`dup local(R/proj) stdio local-dup env=[] hdr=[] effective @R/home/.claude.json`,
		`dup user stdio user-dup env=[] hdr=[] shadowed by local R/home/.claude.json @R/home/.claude.json`,
		`dup ` + p + ` stdio project-dup env=[] hdr=[] approved shadowed by local R/home/.claude.json @R/proj/.mcp.json`,
		ccUserLines["exp"],
		ccOtherProjects[1],
		`github ` + p + ` http https://proj.example.com/mcp env=[] hdr=[Authorization] approved effective @R/proj/.mcp.json | missing environment variables: GH_TOKEN (left as ${NAME}, as Claude Code does)`,
		`github user http https://api.example.com/mcp?token=[redacted] env=[] hdr=[Authorization X-Team] shadowed by project R/proj/.mcp.json @R/home/.claude.json`,
		`gone user stdio gone env=[] hdr=[] effective,disabled @R/home/.claude.json`,
		`loc local(R/proj) stdio loc env=[T] hdr=[] effective,disabled @R/home/.claude.json`,
		ccUserLines["miss"], ccUserLines["nt"],
		ccOtherProjects[2], ccOtherProjects[3],
		ccUserLines["oauth"],
		ccOtherProjects[4],
		`par ` + p + ` stdio par env=[] hdr=[] pending ignored @R/.mcp.json`,
		`pend ` + p + ` stdio pend env=[] hdr=[] pending ignored @R/proj/.mcp.json`,
		`rej ` + p + ` stdio rej env=[] hdr=[] rejected ignored @R/proj/.mcp.json`,
		ccUserLines["sh"], ccUserLines["sp ace"], ccUserLines["st*r"], ccUserLines["stdio"], ccUserLines["typo"], ccUserLines["wsx"],
	}
}

// TestClaudeCode covers every scope, approval and precedence rule on one
// fixture seen from different directories and environments.
func TestClaudeCode(t *testing.T) {
	canaryVars := map[string]string{"API_KEY": "CANARY-var-key"}
	cases := []struct {
		name     string
		cwd      string // relative to the fixture root; "-" for none
		git      bool   // make proj a git repository
		vars     map[string]string
		servers  []string
		problems []string
	}{
		{name: "in the project: local > approved project > user, approvals, disabled", cwd: "proj", vars: canaryVars,
			servers: ccProjLines(""), problems: ccMainProblems},
		{name: "in a subdirectory of a git repository: the git root's project, .mcp.json from every parent",
			cwd: "proj/sub", git: true, vars: canaryVars, servers: ccProjLines("/sub"), problems: ccMainProblems},
		{name: "outside any project: user servers win, parent .mcp.json pending", cwd: ".", vars: canaryVars,
			servers: []string{
				ccUserLines["a.b"],
				`appr project(R/proj) stdio appr --port 3000 env=[] hdr=[] approved effective @R/proj/.mcp.json`,
				`appr project(R) stdio parent-appr env=[] hdr=[] pending ignored @R/.mcp.json`,
				ccUserLines["dup"], ccOtherProjects[0],
				`dup local(R/proj) stdio local-dup env=[] hdr=[] effective @R/home/.claude.json`,
				`dup project(R/proj) stdio project-dup env=[] hdr=[] approved shadowed by local R/home/.claude.json @R/proj/.mcp.json`,
				ccUserLines["exp"], ccOtherProjects[1],
				ccUserLines["github"],
				`github project(R/proj) http https://proj.example.com/mcp env=[] hdr=[Authorization] approved effective @R/proj/.mcp.json | missing environment variables: GH_TOKEN (left as ${NAME}, as Claude Code does)`,
				ccUserLines["gone"],
				`loc local(R/proj) stdio loc env=[T] hdr=[] effective,disabled @R/home/.claude.json`,
				ccUserLines["miss"], ccUserLines["nt"], ccOtherProjects[2], ccOtherProjects[3], ccUserLines["oauth"], ccOtherProjects[4],
				`par project(R) stdio par env=[] hdr=[] pending ignored @R/.mcp.json`,
				`pend project(R/proj) stdio pend env=[] hdr=[] pending ignored @R/proj/.mcp.json`,
				`rej project(R/proj) stdio rej env=[] hdr=[] rejected ignored @R/proj/.mcp.json`,
				ccUserLines["sh"], ccUserLines["sp ace"], ccUserLines["st*r"], ccUserLines["stdio"], ccUserLines["typo"], ccUserLines["wsx"],
			}, problems: ccMainProblems},
		{name: "CLAUDE_CONFIG_DIR moves ~/.claude.json and the user settings", cwd: "proj",
			vars: map[string]string{"CLAUDE_CONFIG_DIR": "@ROOT@/cfg"},
			servers: []string{
				`appr project(R/proj) stdio appr --port 3000 env=[] hdr=[] approved effective @R/proj/.mcp.json`,
				`appr project(R/proj) stdio parent-appr env=[] hdr=[] approved shadowed by project R/proj/.mcp.json @R/.mcp.json`,
				`dup project(R/proj) stdio project-dup env=[] hdr=[] approved effective @R/proj/.mcp.json`,
				`dup user stdio cfg-dup env=[] hdr=[] shadowed by project R/proj/.mcp.json @R/cfg/.claude.json`,
				`from-cfg user stdio cfg env=[] hdr=[] effective @R/cfg/.claude.json`,
				`github project(R/proj) http https://proj.example.com/mcp env=[] hdr=[Authorization] approved effective @R/proj/.mcp.json | missing environment variables: GH_TOKEN (left as ${NAME}, as Claude Code does)`,
				`par project(R/proj) stdio par env=[] hdr=[] approved effective @R/.mcp.json`,
				`pend project(R/proj) stdio pend env=[] hdr=[] approved effective @R/proj/.mcp.json`,
				`rej project(R/proj) stdio rej env=[] hdr=[] rejected ignored @R/proj/.mcp.json`,
			}, problems: ccMainProblems[3:]},
		{name: "managed-settings.json: managedMcpServers beat local, its disabledMcpjsonServers reject", cwd: "proj",
			vars: map[string]string{ManagedDirVar: "@ROOT@/managed-settings-only", "API_KEY": "CANARY-var-key"},
			servers: func() []string {
				l := ccProjLines("")
				l[1] = `appr project(R/proj) stdio parent-appr env=[] hdr=[] rejected ignored @R/.mcp.json`
				l[2] = `appr project(R/proj) stdio appr --port ${PORT:-3000} env=[] hdr=[] rejected ignored @R/proj/.mcp.json`
				managed := `dup managed http https://m.example.com/dup env=[] hdr=[] effective @R/managed-settings-only/managed-settings.json`
				by := "shadowed by managed R/managed-settings-only/managed-settings.json"
				return append(append(l[:3:3], managed,
					`dup user stdio user-dup env=[] hdr=[] `+by+` @R/home/.claude.json`,
					`dup local(R/other) stdio other-dup env=[] hdr=[] `+by+` @R/home/.claude.json`,
					`dup local(R/proj) stdio local-dup env=[] hdr=[] `+by+` @R/home/.claude.json`,
					`dup project(R/proj) stdio project-dup env=[] hdr=[] approved `+by+` @R/proj/.mcp.json`), l[7:]...)
			}(), problems: ccMainProblems},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := ccFixture(t, "main")
			cwd := ""
			if c.cwd != "-" {
				cwd = filepath.Join(root, c.cwd)
				if err := os.MkdirAll(cwd, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			if c.git {
				if err := os.Mkdir(filepath.Join(root, "proj", ".git"), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			servers, problems := discoverClaudeCode(ccEnv(root, cwd, c.vars))
			ccCompare(t, "servers", ccLines(servers, root), c.servers)
			ccCompare(t, "problems", ccProblemLines(problems, root), c.problems)
			ccPathFinds(t, servers)
			ccNoCanary(t, servers, problems)
		})
	}
}

// TestClaudeCodeEnterprise checks managed-mcp.json's exclusive control:
// every other server is listed but not loaded, and says why.
func TestClaudeCodeEnterprise(t *testing.T) {
	for _, dir := range []string{"managed", "managed-broken"} {
		t.Run(dir, func(t *testing.T) {
			root := ccFixture(t, "main")
			servers, problems := discoverClaudeCode(ccEnv(root, filepath.Join(root, "proj"), map[string]string{ManagedDirVar: "@ROOT@/" + dir}))
			ent := filepath.Join(root, dir, "managed-mcp.json")
			effective := map[string]string{}
			for _, s := range servers {
				if s.Effective {
					effective[s.Scope+" "+s.Name] = s.File
					continue
				}
				if s.Scope == ScopeEnterprise || s.Scope == ScopeManaged || s.Approval == Pending || s.Approval == Rejected || strings.Contains(strings.Join(s.Problems, " "), "skips this entry") {
					continue
				}
				if want := "not loaded: " + ent + " gives the organisation exclusive control of MCP servers"; !strings.Contains(strings.Join(s.Problems, "|"), want) {
					t.Errorf("%s in %s: problems %q, want %q", s.ID(), s.File, s.Problems, want)
				}
			}
			want := map[string]string{"managed msrv": filepath.Join(root, dir, "managed-settings.json")}
			if dir == "managed" {
				want["enterprise corp"], want["enterprise dup"] = ent, ent
				ccFindShadow(t, servers, "dup", ScopeManaged, "enterprise "+ent)
				ccFindShadow(t, servers, "dup", ScopeUser, "enterprise "+ent)
				ccFindShadow(t, servers, "dup", ScopeLocal, "enterprise "+ent)
			} else {
				wantProblem := `R/managed-broken/managed-mcp.json:2:27 invalid JSON: invalid character '"' after object key:value pair`
				if got := ccProblemLines(problems, root); !strings.Contains(strings.Join(got, "\n"), wantProblem) {
					t.Errorf("problems %q lack %q", got, wantProblem)
				}
				delete(want, "managed msrv") // that directory has no managed-settings.json
			}
			if fmt.Sprint(effective) != fmt.Sprint(want) {
				t.Errorf("effective servers = %v, want only the organisation's %v", effective, want)
			}
			if dir == "managed" {
				if s := ccFind(t, servers, "insecure", ScopeManaged, ""); s.Effective || !strings.Contains(s.Problems[0], "https") {
					t.Errorf("managed http:// server: %+v", s)
				}
			}
		})
	}
}

// ccFindShadow checks that every server with this name and scope is
// shadowed by the given "scope file".
func ccFindShadow(t *testing.T, servers []Server, name, scope, by string) {
	t.Helper()
	n := 0
	for _, s := range servers {
		if s.Name == name && s.Scope == scope {
			n++
			if s.Effective || s.ShadowedBy != by {
				t.Errorf("%s in %s: effective=%v shadowed_by=%q, want shadowed by %q", s.ID(), s.File, s.Effective, s.ShadowedBy, by)
			}
		}
	}
	if n == 0 {
		t.Errorf("no %s server %q", scope, name)
	}
}

// TestClaudeCodeMalformed checks that a broken ~/.claude.json and a broken
// settings file are problems with line and column, and that everything
// else is still listed.
func TestClaudeCodeMalformed(t *testing.T) {
	root := ccFixture(t, "broken")
	servers, problems := discoverClaudeCode(ccEnv(root, filepath.Join(root, "proj"), nil))
	ccCompare(t, "servers", ccLines(servers, root), []string{
		// Approved by the user's enableAllProjectMcpServers; the project's
		// settings.local.json, which would reject it, does not parse.
		`still project(R/proj) stdio still env=[] hdr=[] approved effective @R/proj/.mcp.json`,
	})
	ccCompare(t, "problems", ccProblemLines(problems, root), []string{
		`R/home/.claude.json:4:3 invalid JSON: invalid character '}' looking for beginning of object key string (Claude Code cannot load this file either)`,
		`R/proj/.claude/settings.local.json:1:37 invalid JSON: unexpected end of JSON input`,
	})
}

// TestClaudeCodeLegacyConfig checks the fallback to <config home>/.config.json
// that Claude Code still honours when ~/.claude.json does not exist.
func TestClaudeCodeLegacyConfig(t *testing.T) {
	root := ccFixture(t, "legacycfg")
	servers, _ := discoverClaudeCode(ccEnv(root, "", nil))
	ccCompare(t, "servers", ccLines(servers, root), []string{`legacy-user user stdio lu env=[] hdr=[] effective @R/home/.claude/.config.json`})
	if err := os.WriteFile(filepath.Join(root, "home", ".claude.json"), []byte(`{"mcpServers":{"new":{"command":"n"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	servers, _ = discoverClaudeCode(ccEnv(root, "", nil))
	ccCompare(t, "servers", ccLines(servers, root), []string{`new user stdio n env=[] hdr=[] effective @R/home/.claude.json`})
}

// TestClaudeCodeHomeOverride checks that under --home a CLAUDE_CONFIG_DIR
// outside the inspected home is ignored, and one inside it is honoured.
func TestClaudeCodeHomeOverride(t *testing.T) {
	root := ccFixture(t, "main")
	outside := ccFixture(t, "main")
	for _, c := range []struct{ dir, wantFile string }{
		{filepath.Join(outside, "cfg"), filepath.Join(root, "home", ".claude.json")},
		{filepath.Join(root, "home", "cfg"), filepath.Join(root, "home", "cfg", ".claude.json")},
	} {
		if err := os.MkdirAll(c.dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(c.dir, ".claude.json"), []byte(`{"mcpServers":{"x":{"command":"x"}}}`), 0o600); err != nil {
			t.Fatal(err)
		}
		env := ccEnv(root, "", map[string]string{"CLAUDE_CONFIG_DIR": c.dir}).WithHome(filepath.Join(root, "home"))
		servers, _ := discoverClaudeCode(env)
		if len(servers) == 0 || servers[0].File != c.wantFile {
			t.Errorf("CLAUDE_CONFIG_DIR=%s under --home: read %v, want %s", c.dir, servers, c.wantFile)
		}
	}
}

// TestClaudeCodeRaw checks that what is needed to dial a server is kept,
// expanded, while the printable fields stay redacted.
func TestClaudeCodeRaw(t *testing.T) {
	root := ccFixture(t, "main")
	vars := map[string]string{"API_KEY": "CANARY-var-key", "MCP_HOST": "https://h.example.com", "PORT": "4444"}
	servers, _ := discoverClaudeCode(ccEnv(root, filepath.Join(root, "proj"), vars))
	exp := ccFind(t, servers, "exp", ScopeUser, "")
	if got := exp.Raw.URL.Reveal(); got != "https://h.example.com/sse" {
		t.Errorf("exp url = %q", got)
	}
	if len(exp.Raw.Headers) != 1 || exp.Raw.Headers[0].Value.Reveal() != "CANARY-var-key" {
		t.Errorf("exp headers not expanded: %d", len(exp.Raw.Headers))
	}
	if !strings.Contains(exp.Raw.Entry, "${API_KEY}") {
		t.Errorf("Raw.Entry should be the entry as written, got %q", exp.Raw.Entry)
	}
	gh := ccFind(t, servers, "github", ScopeUser, "")
	if gh.Raw.URL.Reveal() != "https://api.example.com/mcp?token=CANARY-url-query" || gh.Raw.Headers[0].Value.Reveal() != "Bearer CANARY-header-1" ||
		gh.Raw.Headers[1].Name != "X-Team" || gh.Raw.Type != "http" {
		t.Errorf("github raw config not kept in file order")
	}
	appr := ccFind(t, servers, "appr", ScopeProject, filepath.Join(root, "proj", ".mcp.json"))
	if strings.Join(appr.Args, " ") != "--port 4444" {
		t.Errorf("appr args = %q, want the expanded port", appr.Args)
	}
	sh := ccFind(t, servers, "sh", ScopeUser, "")
	if sh.Transport != HTTP || !sh.HeadersHelper || sh.Raw.HeadersHelper.Reveal() != "print-headers --secret CANARY-helper" {
		t.Errorf("streamable-http server: %+v", sh)
	}
	oa := ccFind(t, servers, "oauth", ScopeUser, "")
	if oa.OAuth == nil || oa.OAuth.ClientID != "abc" || oa.OAuth.CallbackPort != 8123 || len(oa.OAuth.Scopes) != 1 {
		t.Errorf("oauth settings = %+v", oa.OAuth)
	}
	ccNoCanary(t, servers, nil)
}

// ccNoCanary fails when a canary secret shows in the JSON or any fmt form
// of the servers and problems (ocNoCanary's check, on their Inventory).
func ccNoCanary(t *testing.T, servers []Server, problems []Problem) {
	t.Helper()
	ocNoCanary(t, Inventory{Servers: servers, Problems: problems})
}

// TestResolveSearchesLikeItIndexes: precedence decided by searching each
// project's few candidates in place gives what indexing them by name
// gives, on the fixture home (user, local, project and managed servers,
// shadowing, disabled and unapproved ones) seen from every project.
func TestResolveSearchesLikeItIndexes(t *testing.T) {
	root := ccFixture(t, "main")
	dirs, err := filepath.Glob(filepath.Join(root, "*"))
	if err != nil {
		t.Fatal(err)
	}
	dirs = append(dirs, filepath.Join(root, "home"), "")
	for _, cwd := range dirs {
		env := ccEnv(root, cwd, nil)
		searched, _ := discoverClaudeCode(env)
		old := smallSet
		smallSet = -1 // index every set, however small
		indexed, _ := discoverClaudeCode(env)
		smallSet = old
		if !reflect.DeepEqual(searched, indexed) {
			t.Errorf("from %q: searching in place and indexing disagree", cwd)
		}
		if len(searched) == 0 {
			t.Errorf("from %q: no servers", cwd)
		}
	}
}
