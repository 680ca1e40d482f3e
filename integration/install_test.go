package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// installFixtures is one hand-written user config per client: comments,
// odd layout and other servers that install must leave byte for byte.
var installFixtures = []struct {
	client, content string
	keep            []string // text that must survive the install
}{
	{"claude-code", "{\n  \"numStartups\": 7,\n  \"mcpServers\": {\n    \"other\": {\n      \"type\": \"stdio\",\n      \"command\": \"npx\",\n      \"args\": [],\n      \"env\": {}\n    }\n  },\n  \"projects\": {}\n}", []string{`"numStartups": 7`}},
	{"claude-desktop", "{\n    \"mcpServers\": {\n        \"fs\": { \"command\": \"npx\", \"args\": [\"-y\", \"@modelcontextprotocol/server-filesystem\"] }\n    },\n    \"globalShortcut\": \"\"\n}\n", []string{`{ "command": "npx"`}},
	{"cursor", "{\"mcpServers\":{}}", nil},
	{"vscode", "// my servers\n{\n\t\"inputs\": [],\n\t\"servers\": {\n\t\t/* work */ \"gh\": {\"type\": \"http\", \"url\": \"https://api.githubcopilot.com/mcp/\"}, // remote\n\t},\n}\n", []string{"// my servers", "/* work */", "// remote"}},
	{"windsurf", "{\n  \"mcpServers\": {\n    \"a\": {\"serverUrl\": \"https://example.com/mcp\"}\n  }\n}\n", nil},
	{"codex", "# Codex settings\nmodel = \"o3\" # my favourite\n\n[mcp_servers.docs]\ncommand = \"npx\"\nargs = [\"-y\", \"docs-mcp\"] # pinned\n\n# projects I trust\n[projects.\"/src\"]\ntrust_level = \"trusted\"\n", []string{"# my favourite", "# pinned", "# projects I trust"}},
	{"gemini", "{\n  // theme first\n  \"theme\": \"GitHub\",\n  \"mcpServers\": {}\n}\n", []string{"// theme first"}},
	{"zed", "// Zed settings\n{\n  \"ui_font_size\": 16, // big\n  \"context_servers\": {\n    \"ext\": {\"settings\": {}}\n  }\n}\n", []string{"// Zed settings", "// big"}},
}

type installRun struct {
	Clients []struct {
		Client, File, Outcome, Message string
	} `json:"clients"`
	JournalID string `json:"journal_id"`
	Searched  []struct {
		Client string `json:"client"`
		Found  bool   `json:"found"`
	} `json:"searched"`
}

// install runs mcpmend install/uninstall with --json and decodes the result.
func install(t *testing.T, home string, wantCode int, args ...string) installRun {
	t.Helper()
	out, errOut, code := runCLI(t, home, append([]string{"--json"}, args...)...)
	if code != wantCode {
		t.Fatalf("mcpmend %v: exit %d, want %d\nstdout: %s\nstderr: %s", args, code, wantCode, out, errOut)
	}
	var r installRun
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("mcpmend %v: %v\n%s", args, err, out)
	}
	return r
}

func outcome(t *testing.T, r installRun, want string) {
	t.Helper()
	if len(r.Clients) != 1 || r.Clients[0].Outcome != want {
		t.Fatalf("outcome %+v, want one client %s", r.Clients, want)
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// configFile asks a dry run where client's user config lives in home.
func configFile(t *testing.T, home, client string) string {
	t.Helper()
	r := install(t, home, 0, "install", "--client", client, "--dry-run")
	return r.Clients[0].File
}

func TestInstallUninstallEveryClient(t *testing.T) {
	for _, f := range installFixtures {
		t.Run(f.client, func(t *testing.T) {
			home := t.TempDir()
			file := configFile(t, home, f.client)
			if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(file, []byte(f.content), 0o640); err != nil {
				t.Fatal(err)
			}

			outcome(t, install(t, home, 0, "install", "--client", f.client, "--dry-run"), "would-add")
			if readFile(t, file) != f.content {
				t.Fatal("--dry-run changed the file")
			}

			r := install(t, home, 0, "install", "--client", f.client)
			outcome(t, r, "installed")
			installed := readFile(t, file)
			if !strings.Contains(installed, binary) || !strings.Contains(installed, "serve") {
				t.Fatalf("the entry is not in the file:\n%s", installed)
			}
			for _, k := range f.keep {
				if !strings.Contains(installed, k) {
					t.Errorf("%q was lost:\n%s", k, installed)
				}
			}
			if fi, _ := os.Stat(file); fi.Mode().Perm() != 0o640 {
				t.Errorf("mode %v, want 0640 kept", fi.Mode().Perm())
			}

			outcome(t, install(t, home, 0, "install", "--client", f.client), "already-installed")
			if readFile(t, file) != installed {
				t.Fatal("an identical entry was rewritten")
			}

			// undo of the install gives back the original bytes.
			if out, errOut, code := runCLI(t, home, "undo", r.JournalID); code != 0 {
				t.Fatalf("undo: %d\n%s%s", code, out, errOut)
			}
			if got := readFile(t, file); got != f.content {
				t.Fatalf("after undo:\n%s\nwant the original:\n%s", got, f.content)
			}

			// uninstall removes exactly what install added: the original bytes.
			install(t, home, 0, "install", "--client", f.client)
			outcome(t, install(t, home, 0, "uninstall", "--client", f.client, "--dry-run"), "would-remove")
			outcome(t, install(t, home, 0, "uninstall", "--client", f.client), "removed")
			if got := readFile(t, file); got != f.content {
				t.Fatalf("after uninstall:\n%q\nwant the original:\n%q", got, f.content)
			}
			outcome(t, install(t, home, 0, "uninstall", "--client", f.client), "not-installed")
		})
	}
}

// differing is an mcpmend entry someone wrote by hand, in each format.
var differing = map[string]string{
	"cursor": "{\n  \"mcpServers\": {\n    \"mcpmend\": {\"command\": \"/opt/old/mcpmend\", \"args\": [\"serve\", \"--log-level\", \"debug\"]}\n  }\n}\n",
	"codex":  "[mcp_servers.mcpmend] # mine\ncommand = \"/opt/old/mcpmend\"\nargs = [\"serve\"]\n\n[mcp_servers.mcpmend.env]\nSECRET_CANARY = \"s3cr3t-canary-value\"\n",
}

func TestInstallRefusesADifferingEntry(t *testing.T) {
	for client, content := range differing {
		t.Run(client, func(t *testing.T) {
			home := t.TempDir()
			file := configFile(t, home, client)
			os.MkdirAll(filepath.Dir(file), 0o700)
			if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			r := install(t, home, 1, "install", "--client", client)
			outcome(t, r, "refused")
			if msg := r.Clients[0].Message; !strings.Contains(msg, "--force") || !strings.Contains(msg, "/opt/old/mcpmend") || strings.Contains(msg, "canary") {
				t.Errorf("refusal should name the entry, suggest --force and keep env values out: %s", msg)
			}
			outcome(t, install(t, home, 1, "uninstall", "--client", client), "refused")
			if readFile(t, file) != content {
				t.Fatal("a refused run changed the file")
			}

			r = install(t, home, 0, "install", "--client", client, "--force")
			outcome(t, r, "replaced")
			if got := readFile(t, file); strings.Contains(got, "/opt/old") || !strings.Contains(got, binary) {
				t.Fatalf("--force did not replace the entry:\n%s", got)
			}
			if _, _, code := runCLI(t, home, "undo", r.JournalID); code != 0 {
				t.Fatal("undo failed")
			}
			if readFile(t, file) != content {
				t.Fatal("undo of --force did not bring the old entry back")
			}
			outcome(t, install(t, home, 0, "uninstall", "--client", client, "--force"), "removed")
			if got := readFile(t, file); strings.Contains(got, "mcpmend") {
				t.Fatalf("uninstall --force left the entry:\n%s", got)
			}
		})
	}
}

// TestInstallFindsClients: with no --client, install goes into the clients
// whose directory exists and says which it looked for.
func TestInstallFindsClients(t *testing.T) {
	home := t.TempDir()
	if _, _, code := runCLI(t, home, "install"); code == 0 {
		t.Fatal("install with no client on the machine should fail")
	}
	for _, c := range []string{"cursor", "gemini"} {
		file := configFile(t, home, c)
		os.MkdirAll(filepath.Dir(file), 0o700)
	}
	r := install(t, home, 0, "install")
	var got []string
	for _, c := range r.Clients {
		got = append(got, c.Client+"="+c.Outcome)
		if _, err := os.Stat(c.File); err != nil {
			t.Errorf("%s: %v", c.Client, err)
		}
	}
	if strings.Join(got, ",") != "cursor=installed,gemini=installed" || len(r.Searched) != 8 {
		t.Fatalf("installed %v, searched %+v", got, r.Searched)
	}
	out, _, _ := runCLI(t, home, "install", "--dry-run")
	if !strings.Contains(out, "Found on this machine: cursor, gemini") {
		t.Errorf("text output does not say which clients were found:\n%s", out)
	}
	// The files install created go away again with undo.
	if _, _, code := runCLI(t, home, "undo", r.JournalID); code != 0 {
		t.Fatal("undo failed")
	}
	for _, c := range r.Clients {
		if _, err := os.Stat(c.File); !os.IsNotExist(err) {
			t.Errorf("%s: undo left %s (%v)", c.Client, c.File, err)
		}
	}
}
