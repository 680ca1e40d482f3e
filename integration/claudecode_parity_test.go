package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// ccParityServer is what the comparison needs of one server in
// `mcpmend list --json`.
type ccParityServer struct {
	Name, Scope, Project, File, Transport, Command, URL, Approval string
	ShadowedBy                                                    string `json:"shadowed_by"`
	Args                                                          []string
	Disabled, Effective                                           bool
}

func (s ccParityServer) target() string {
	if s.Transport == "stdio" {
		return strings.TrimSpace(s.Command + " " + strings.Join(s.Args, " "))
	}
	return s.URL
}

// ccView is one server as `claude mcp list` and `claude mcp get` print it.
type ccView struct {
	target, status, scope string
}

// TestClaudeCodeParity builds servers in every scope with the real Claude
// Code CLI, adds approvals, a rejection, disabled servers and same-name
// conflicts, and checks that `mcpmend list` agrees with `claude mcp list` and
// `claude mcp get` run in the same project: which servers exist, which
// definition wins, and what is pending, rejected or disabled.
func TestClaudeCodeParity(t *testing.T) {
	claude := npmBin(t, "claude")
	home := ccRealDir(t, t.TempDir())
	proj := ccRealDir(t, t.TempDir())
	run := func(args ...string) string { return ccRunClaude(t, claude, home, proj, args...) }

	// Stdio commands that do not exist and a closed loopback port make
	// `claude mcp list` fail its health checks at once.
	add := map[string][][2]string{
		"user": {
			{"u-only", `{"command":"/nonexistent/u-only","args":["--flag","x"]}`},
			{"dup", `{"command":"/nonexistent/user-dup"}`},
			{"shadow-p", `{"command":"/nonexistent/user-shadow-p"}`},
			{"pu", `{"command":"/nonexistent/user-pu"}`},
			{"u-dis", `{"command":"/nonexistent/u-dis"}`},
			{"uhttp", `{"type":"http","url":"http://127.0.0.1:1/mcp","headers":{"Authorization":"Bearer CANARY-parity"}}`},
		},
		"local": {
			{"dup", `{"command":"/nonexistent/local-dup"}`},
			{"l-only", `{"type":"sse","url":"http://127.0.0.1:1/sse"}`},
			{"l-dis", `{"command":"/nonexistent/l-dis"}`},
			{"lws", `{"type":"streamable-http","url":"http://127.0.0.1:1/lws"}`},
		},
		"project": {
			{"dup", `{"command":"/nonexistent/project-dup"}`},
			{"p-appr", `{"command":"/nonexistent/p-appr"}`},
			{"p-pend", `{"command":"/nonexistent/p-pend"}`},
			{"p-rej", `{"command":"/nonexistent/p-rej"}`},
			{"p-dis", `{"command":"/nonexistent/p-dis"}`},
			{"shadow-p", `{"command":"/nonexistent/project-shadow-p"}`},
			{"pu", `{"command":"/nonexistent/project-pu"}`},
		},
	}
	for _, scope := range []string{"user", "local", "project"} {
		for _, s := range add[scope] {
			run("mcp", "add-json", "-s", scope, s[0], s[1])
		}
	}
	// Claude Code has no command to approve or disable; these are the
	// settings its /mcp dialogs write.
	ccTrustAndDisable(t, home, proj, "u-dis", "l-dis", "p-dis")
	ccWriteFile(t, filepath.Join(proj, ".claude", "settings.local.json"),
		`{"enabledMcpjsonServers":["dup","p-appr","p-rej","p-dis","shadow-p"],"disabledMcpjsonServers":["p-rej"]}`)

	listed := ccParseList(t, run("mcp", "list"))
	names := []string{}
	for _, scope := range add {
		for _, s := range scope {
			names = append(names, s[0])
		}
	}
	got := ccGet(t, run, names)

	stdout, stderr, code := runCLIIn(t, home, proj, "list", "--json", "--client", "claude-code")
	if code != 0 {
		t.Fatalf("mcpmend list: exit %d: %s", code, stderr)
	}
	if strings.Contains(stdout, "CANARY") {
		t.Fatalf("mcpmend list --json leaks the canary header value")
	}
	var out struct{ Servers []ccParityServer }
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("mcpmend list --json: %v\n%s", err, stdout)
	}
	ours := map[string][]ccParityServer{}
	for _, s := range out.Servers {
		if s.Project == "" || s.Project == proj {
			ours[s.Name] = append(ours[s.Name], s)
		}
	}

	// Every server claude lists, mcpmend lists with the same winner and state.
	for name, view := range listed {
		ccCompareParity(t, name, view, got[name], ours[name])
	}
	// And mcpmend has no effective or pending server claude does not list;
	// what claude hides (rejected) mcpmend marks rejected.
	for name, list := range ours {
		if _, ok := listed[name]; ok {
			continue
		}
		for _, s := range list {
			if s.Effective || s.Approval == "pending" {
				t.Errorf("%s: mcpmend has %s %s (%s) effective=%v approval=%q; claude mcp list does not list it", name, s.Scope, s.target(), s.File, s.Effective, s.Approval)
			}
		}
		if strings.HasPrefix(got[name].status, "✘ Rejected") && !ccHasApproval(list, "rejected") {
			t.Errorf("%s: claude mcp get says %q; mcpmend lists %+v", name, got[name].status, list)
		}
	}
	// The cases this fixture was built for, spelled out.
	want := map[string]string{
		"dup": "local", "shadow-p": "project", "pu": "user", "p-appr": "project", "u-only": "user",
		"l-only": "local", "uhttp": "user", "lws": "local", "u-dis": "user", "l-dis": "local", "p-dis": "project",
	}
	for name, scope := range want {
		if v := listed[name]; v.status == "" || got[name].scope != scope {
			t.Errorf("fixture: claude shows %s as %+v / %+v, want scope %s", name, v, got[name], scope)
		}
	}
	if _, ok := listed["p-rej"]; ok || !strings.HasPrefix(got["p-rej"].status, "✘ Rejected") {
		t.Errorf("fixture: p-rej should be rejected and hidden: list %+v, get %+v", listed["p-rej"], got["p-rej"])
	}
	if !strings.HasPrefix(listed["p-pend"].status, "⏸") || !strings.HasPrefix(listed["l-dis"].status, "⊘") {
		t.Errorf("fixture: p-pend %q, l-dis %q", listed["p-pend"].status, listed["l-dis"].status)
	}
}

// ccCompareParity checks one name that `claude mcp list` shows.
func ccCompareParity(t *testing.T, name string, view, get ccView, ours []ccParityServer) {
	t.Helper()
	var winners []ccParityServer
	for _, s := range ours {
		if s.Effective {
			winners = append(winners, s)
		}
	}
	if strings.HasPrefix(view.status, "⏸") { // pending approval
		if len(winners) > 0 || !ccHasApproval(ours, "pending") {
			t.Errorf("%s: claude says %q; mcpmend lists %+v", name, view.status, ours)
		}
		return
	}
	if len(winners) != 1 {
		t.Errorf("%s: claude lists %q (%s); mcpmend has %d effective definitions: %+v", name, view.target, get.scope, len(winners), ours)
		return
	}
	w := winners[0]
	if w.target() != view.target || w.Scope != get.scope {
		t.Errorf("%s: claude uses the %s definition %q; mcpmend's effective one is %s %q", name, get.scope, view.target, w.Scope, w.target())
	}
	if disabled := strings.HasPrefix(view.status, "⊘"); w.Disabled != disabled {
		t.Errorf("%s: claude status %q; mcpmend disabled=%v", name, view.status, w.Disabled)
	}
	for _, s := range ours {
		if !s.Effective && s.Approval != "pending" && s.Approval != "rejected" && s.ShadowedBy == "" {
			t.Errorf("%s: %s %s is neither effective nor shadowed: %+v", name, s.Scope, s.File, s)
		}
	}
}

func ccHasApproval(list []ccParityServer, approval string) bool {
	for _, s := range list {
		if s.Scope == "project" && s.Approval == approval && !s.Effective {
			return true
		}
	}
	return false
}

// ccListLine is one server in `claude mcp list`: "name: target [(HTTP)] - status".
var ccListLine = regexp.MustCompile(`^([A-Za-z0-9_-]+): (.*?)(?: \((?:HTTP|SSE|WS)\))?\s+- (\S.*)$`)

func ccParseList(t *testing.T, out string) map[string]ccView {
	t.Helper()
	views := map[string]ccView{}
	for _, line := range strings.Split(out, "\n") {
		if m := ccListLine.FindStringSubmatch(line); m != nil {
			views[m[1]] = ccView{target: strings.TrimSpace(m[2]), status: m[3]}
		}
	}
	if len(views) == 0 {
		t.Fatalf("no servers in claude mcp list output:\n%s", out)
	}
	return views
}

// ccGet runs `claude mcp get` for each name and reads scope and status.
func ccGet(t *testing.T, run func(...string) string, names []string) map[string]ccView {
	t.Helper()
	scopes := map[string]string{"User config": "user", "Local config": "local", "Project config": "project"}
	views := map[string]ccView{}
	sort.Strings(names)
	for _, name := range names {
		var v ccView
		for _, line := range strings.Split(run("mcp", "get", name), "\n") {
			line = strings.TrimSpace(line)
			if s, ok := strings.CutPrefix(line, "Scope: "); ok {
				for label, scope := range scopes {
					if strings.HasPrefix(s, label) {
						v.scope = scope
					}
				}
			}
			if s, ok := strings.CutPrefix(line, "Status: "); ok {
				v.status = s
			}
		}
		views[name] = v
	}
	return views
}

// ccRunClaude runs the real CLI in dir with an isolated home and returns its
// stdout; a failure ends the test with its output.
func ccRunClaude(t *testing.T, claude, home, dir string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, claude, args...)
	cmd.Env = homeEnv(home)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("claude %v: %v\nstdout: %s\nstderr: %s", args, err, out.String(), errb.String())
	}
	return out.String()
}

// ccTrustAndDisable marks proj as trusted and disables names in it, in
// ~/.claude.json, as accepting the trust dialog and /mcp → Disable do. The
// approval arrays Claude Code seeds in the project entry are dropped: it
// migrates them into .claude/settings.local.json, which the test writes.
func ccTrustAndDisable(t *testing.T, home, proj string, names ...string) {
	t.Helper()
	path := filepath.Join(home, ".claude.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	projects, _ := cfg["projects"].(map[string]any)
	p, _ := projects[proj].(map[string]any)
	if p == nil {
		t.Fatalf("claude mcp add-json -s local wrote no projects[%q] in %s", proj, data)
	}
	p["hasTrustDialogAccepted"] = true
	p["disabledMcpServers"] = names
	delete(p, "enabledMcpjsonServers")
	delete(p, "disabledMcpjsonServers")
	data, err = json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	ccWriteFile(t, path, string(data))
}

func ccWriteFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

// ccRealDir resolves symlinks (macOS /var → /private/var): Claude Code keys
// projects by the real path.
func ccRealDir(t *testing.T, dir string) string {
	t.Helper()
	r, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
