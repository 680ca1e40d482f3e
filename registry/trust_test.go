package registry

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// trustHome writes a home and a repository holding every client's project
// file, each server a stdio command or a URL carrying ${GITHUB_TOKEN}.
func trustHome(t *testing.T) (home, repo string) {
	t.Helper()
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	home, repo = filepath.Join(root, "home"), filepath.Join(root, "repo")
	files := map[string]string{
		filepath.Join(repo, ".mcp.json"):                `{"mcpServers": {"cc": {"type": "http", "url": "http://127.0.0.1:9/${GITHUB_TOKEN}", "headersHelper": "touch x"}}}`,
		filepath.Join(repo, ".cursor", "mcp.json"):      `{"mcpServers": {"cur": {"command": "sh", "args": ["-c", "touch x"]}, "curh": {"url": "http://127.0.0.1:9/", "headersHelper": "touch x"}}}`,
		filepath.Join(repo, ".vscode", "mcp.json"):      `{"servers": {"vs": {"command": "sh"}}}`,
		filepath.Join(repo, ".gemini", "settings.json"): `{"mcpServers": {"gem": {"command": "sh"}}}`,
		filepath.Join(repo, ".codex", "config.toml"):    "[mcp_servers.cx]\nurl = \"http://127.0.0.1:9/\"\nbearer_token_env_var = \"GITHUB_TOKEN\"\nenv_http_headers = { \"X-Aws\" = \"AWS_SECRET_ACCESS_KEY\" }\n",
		filepath.Join(home, ".claude.json"):             `{"mcpServers": {"u": {"command": "u"}}}`,
		filepath.Join(home, ".cursor", "mcp.json"):      `{"mcpServers": {"ucur": {"command": "u"}}}`,
	}
	for p, data := range files {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return home, repo
}

const trustCanary = "CANARY-trust-gh-token"

func trustEnv(home, cwd string) Env {
	vars := map[string]string{"GITHUB_TOKEN": trustCanary, "AWS_SECRET_ACCESS_KEY": trustCanary + "-aws", ManagedDirVar: filepath.Join(home, "none")}
	return Env{Home: home, CWD: cwd, GOOS: "linux", Getenv: func(k string) string { return vars[k] }}
}

// TestUntrustedRepository: in a freshly cloned repository no client trusts
// the folder, so every project server is untrusted, says how to trust it,
// holds no expanded secret, runs no headersHelper, and nothing starts in
// the repository; user servers stay trusted and start in home.
func TestUntrustedRepository(t *testing.T) {
	home, repo := trustHome(t)
	inv := Discover(trustEnv(home, repo))
	want := map[string]string{"cc": "claude", "cur": "Cursor", "curh": "Cursor", "vs": "VS Code", "gem": "Gemini", "cx": "Codex"}
	seen := map[string]bool{}
	for _, s := range inv.Servers {
		seen[s.Name] = true
		hint, project := want[s.Name]
		switch {
		case project && (!s.Untrusted || !strings.Contains(s.TrustHint, hint)):
			t.Errorf("%s: untrusted=%v hint %q, want untrusted with a hint naming %s", s.ID(), s.Untrusted, s.TrustHint, hint)
		case !project && s.Untrusted:
			t.Errorf("%s: a user server is untrusted", s.ID())
		}
		wantDir := home
		if s.Remote() && s.Raw.HeadersHelper == "" {
			wantDir = "" // starts nothing
		}
		if s.WorkDir != wantDir {
			t.Errorf("%s: work dir %q, want %q", s.ID(), s.WorkDir, wantDir)
		}
		if s.Raw.HeadersHelper != "" && s.Client != ClaudeCode {
			t.Errorf("%s: headersHelper kept for a client that does not run it", s.ID())
		}
		for _, sec := range s.Raw.Secrets() {
			if strings.Contains(sec.Reveal(), trustCanary) {
				t.Errorf("%s: an environment secret was expanded into an untrusted entry", s.ID())
			}
		}
		if strings.Contains(s.Raw.URL.Reveal(), trustCanary) {
			t.Errorf("%s: ${GITHUB_TOKEN} expanded into the url", s.ID())
		}
	}
	for n := range want {
		if !seen[n] {
			t.Errorf("project server %s not listed", n)
		}
	}
	for _, n := range []string{"u", "ucur"} {
		if !seen[n] {
			t.Errorf("user server %s not listed", n)
		}
	}
}

// TestTrustedFolders: each client's own record of trust makes the project
// servers trusted, started in the project folder, with ${VAR} expanded.
func TestTrustedFolders(t *testing.T) {
	home, repo := trustHome(t)
	write := func(p, data string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(home, ".claude.json"), `{"mcpServers": {"u": {"command": "u"}}, "projects": {"`+repo+`": {"hasTrustDialogAccepted": true}}}`)
	write(filepath.Join(home, ".claude", "settings.json"), `{"enabledMcpjsonServers": ["cc"]}`)
	write(filepath.Join(home, ".codex", "config.toml"), "[projects.\""+repo+"\"]\ntrust_level = \"trusted\"\n")
	write(filepath.Join(home, ".gemini", "trustedFolders.json"), `{"`+filepath.Join(repo, "child")+`": "TRUST_PARENT"}`)
	inv := Discover(trustEnv(home, repo))
	for _, s := range inv.Servers {
		trusted := map[string]bool{"cc": true, "cx": true, "gem": true, "u": true, "ucur": true}[s.Name]
		if s.Untrusted == trusted {
			t.Errorf("%s: untrusted=%v (%s)", s.ID(), s.Untrusted, s.TrustHint)
		}
		wantDir := home
		if trusted && s.Client != Cursor {
			wantDir = repo // Claude Code's user server too: the session's folder is trusted
		}
		if s.Remote() && s.Raw.HeadersHelper == "" {
			wantDir = "" // starts nothing
		}
		if s.WorkDir != wantDir {
			t.Errorf("%s: work dir %q, want %q", s.ID(), s.WorkDir, wantDir)
		}
		switch s.Name {
		case "cc":
			if !strings.Contains(s.Raw.URL.Reveal(), trustCanary) || s.Raw.HeadersHelper == "" {
				t.Errorf("cc: a trusted, approved Claude Code entry is expanded and keeps its headersHelper")
			}
		case "cx":
			if len(s.Raw.Headers) != 2 {
				t.Errorf("cx: headers %v, want both taken from the environment", s.HeaderNames)
			}
		}
	}
}

// TestClaudeUserServerUntrustedFolder: a user server judged from a folder
// whose trust dialog was never accepted starts in home, and says so.
func TestClaudeUserServerUntrustedFolder(t *testing.T) {
	home, repo := trustHome(t)
	inv := Discover(trustEnv(home, repo))
	for _, s := range inv.Servers {
		if s.Name == "u" && (s.WorkDir != home || !strings.Contains(s.WorkDirNote, "hasTrustDialogAccepted")) {
			t.Errorf("u: work dir %q, note %q", s.WorkDir, s.WorkDirNote)
		}
	}
}
