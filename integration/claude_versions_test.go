//go:build linux

package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// claudeVersions are the real Claude Code CLIs the integration tests
// install (integration/package.json): Claude Desktop 1.5354.0's bundled
// 2.1.119, 2.1.150 (the last range where an Authorization-header server
// goes needs-auth after a 401) and the current one.
var claudeVersions = []struct{ version, pkg string }{
	{"2.1.119", "claude-code-2-1-119"},
	{"2.1.150", "claude-code-2-1-150"},
	{"2.1.328", "@anthropic-ai/claude-code"},
}

// claudeAt returns the executable of one installed version, skipping the
// test when it is not installed.
func claudeAt(t testing.TB, pkg string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("node_modules", filepath.FromSlash(pkg), "bin", "claude.exe"))
	if err == nil {
		if _, err = os.Stat(p); err == nil {
			return p
		}
	}
	t.Skipf("%s is not installed: run `cd integration && npm ci` (as .ci/run does)", pkg)
	return ""
}

// versionScenario is one server of the per-version test.
type versionScenario struct {
	name         string
	registration bool
	headers      map[string]string
	// edit changes what the 401 session wrote, before the servers recover.
	edit func(t *testing.T, home, name string)
}

func (s versionScenario) config(url string) string {
	cfg := map[string]any{"type": "http", "url": url}
	if s.headers != nil {
		cfg["headers"] = s.headers
	}
	js, _ := json.Marshal(cfg)
	return string(js)
}

// versionScenarios covers every rule that differs between the versions.
var versionScenarios = []versionScenario{
	{name: "noh", registration: true},
	{name: "noreg", registration: false},
	{name: "authz", registration: true, headers: map[string]string{"Authorization": "Bearer CANARY-authz"}},
	{name: "xkey", registration: true, headers: map[string]string{"X-API-Key": "CANARY-xkey"}},
	{name: "future", registration: true, headers: map[string]string{"X-API-Key": "CANARY-future"},
		edit: func(t *testing.T, home, name string) {
			editNeedsAuth(t, needsAuthPath(home), name, func(m map[string]any) { m["timestamp"] = time.Now().Add(10 * time.Minute).UnixMilli() })
		}},
	{name: "ttl", registration: true, headers: map[string]string{"X-API-Key": "CANARY-ttl"},
		edit: func(t *testing.T, home, name string) {
			editNeedsAuth(t, needsAuthPath(home), name, func(m map[string]any) { m["ttlMs"] = 1 })
		}},
	{name: "agedb", registration: true, edit: func(t *testing.T, home, name string) {
		dropNeedsAuth(t, home, name)
		editOAuthEntry(t, home, name, func(ds map[string]any) {
			if _, ok := ds["tokenlessRejectedAt"]; ok {
				ds["tokenlessRejectedAt"] = time.Now().Add(-8 * 24 * time.Hour).UnixMilli()
			}
		})
	}},
}

// dropNeedsAuth deletes one name's gate A entry, when there is one.
func dropNeedsAuth(t *testing.T, home, name string) {
	t.Helper()
	data, err := os.ReadFile(needsAuthPath(home))
	if os.IsNotExist(err) {
		return
	} else if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, name)
	data, _ = json.Marshal(m)
	if err := os.WriteFile(needsAuthPath(home), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// editOAuthEntry edits the discoveryState of the mcpOAuth entry filed
// under name (there is one per name in these homes).
func editOAuthEntry(t *testing.T, home, name string, f func(ds map[string]any)) {
	t.Helper()
	p := filepath.Join(home, ".claude", ".credentials.json")
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("no credentials file after the 401 session: %v", err)
	}
	var c map[string]any
	if err := json.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	entries, _ := c["mcpOAuth"].(map[string]any)
	for k, v := range entries {
		if strings.HasPrefix(k, name+"|") {
			e := v.(map[string]any)
			ds, _ := e["discoveryState"].(map[string]any)
			if ds == nil {
				t.Fatalf("%s's entry has no discoveryState: %v", name, e)
			}
			f(ds)
		}
	}
	data, _ = json.Marshal(c)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// claudeHome is a throwaway home where the given Claude Code versions are
// installed the way a user's machine has them: the terminal CLI linked from
// a bin dir on PATH, Claude Desktop's bundled one in Desktop's data folder.
// It returns the home, the project dir and the environment (PATH included)
// that both the real CLIs and mcpmend run with.
func claudeHome(t *testing.T, terminal, desktop string) (home, proj string, env []string) {
	t.Helper()
	home = t.TempDir()
	proj = filepath.Join(home, "proj")
	bin := filepath.Join(home, "bin")
	for _, d := range []string{proj, bin} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	path := bin
	if terminal != "" {
		if err := os.Symlink(terminal, filepath.Join(bin, "claude")); err != nil {
			t.Fatal(err)
		}
	}
	if desktop != "" {
		ver, _ := installedVersion(desktop)
		dir := filepath.Join(home, ".config", "Claude", "claude-code", ver)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(desktop, filepath.Join(dir, "claude")); err != nil {
			t.Fatal(err)
		}
	}
	for _, kv := range homeEnv(home) {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path += string(os.PathListSeparator) + v
			continue
		}
		env = append(env, kv)
	}
	return home, proj, append(env, "PATH="+path)
}

// installedVersion reads the version of an npm-installed claude.exe.
func installedVersion(exe string) (string, error) {
	data, err := os.ReadFile(filepath.Join(filepath.Dir(filepath.Dir(exe)), "package.json"))
	if err != nil {
		return "", err
	}
	var pkg struct{ Version string }
	err = json.Unmarshal(data, &pkg)
	return pkg.Version, err
}

// runWith runs a program with env in dir and returns stdout; failures end the
// test unless allowFail.
func runWith(t *testing.T, env []string, dir string, allowFail bool, prog string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Env, cmd.Dir, cmd.Stdin = env, dir, strings.NewReader("")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil && !allowFail {
		t.Fatalf("%s %s: %v\nstdout: %s\nstderr: %s", filepath.Base(prog), strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String()
}

// sessionWith is sessionStatuses with an explicit environment.
func sessionWith(t *testing.T, env []string, claude, proj string) map[string]string {
	t.Helper()
	out := runWith(t, env, proj, true, claude, "-p", "hi", "--output-format", "stream-json", "--verbose")
	for _, line := range strings.Split(out, "\n") {
		var ev struct {
			Type, Subtype string
			MCPServers    []struct{ Name, Status string } `json:"mcp_servers"`
		}
		if json.Unmarshal([]byte(line), &ev) != nil || ev.Type != "system" || ev.Subtype != "init" {
			continue
		}
		st := map[string]string{}
		for _, s := range ev.MCPServers {
			st[s.Name] = s.Status
		}
		return st
	}
	t.Fatalf("claude -p printed no init line:\n%s", out)
	return nil
}

// listLine is one server of `claude mcp list`: "name: url (HTTP) - status".
var listLine = regexp.MustCompile(`^([A-Za-z0-9_-]+): .* - (\S.*)$`)

// listWith runs `claude mcp list` (which dials every server, ignoring the
// gates, and writes them on a 401) and returns each server's status line.
func listWith(t *testing.T, env []string, claude, proj string) map[string]string {
	t.Helper()
	out := runWith(t, env, proj, true, claude, "mcp", "list")
	st := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if m := listLine.FindStringSubmatch(strings.TrimSpace(line)); m != nil {
			st[m[1]] = m[2]
		}
	}
	return st
}

// clientView is one per-install verdict of `mcpmend state NAME --json`.
type clientView struct {
	Who, Runner, Version, Action string
	Gates                        []string
	NoTimeLimit                  bool   `json:"no_time_limit"`
	After401                     string `json:"after_401"`
	Assumed                      string
}

// clientsOf runs `mcpmend state NAME --json` with env and returns the
// session view's per-install verdicts, keyed by version.
func clientsOf(t *testing.T, env []string, name string) (map[string]clientView, string) {
	t.Helper()
	out := runWith(t, env, "", false, binary, "state", name, "--json", "--client", "claude-code")
	var st struct {
		Session struct {
			Action, Reason string
			Clients        []clientView
		}
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("mcpmend state %s: %v\n%s", name, err, out)
	}
	m := map[string]clientView{}
	for _, c := range st.Session.Clients {
		m[c.Version] = c
	}
	return m, st.Session.Reason
}

// writeServers writes the scenarios' servers into ~/.claude.json (user scope).
func writeServers(t *testing.T, home string, scs []versionScenario, servers map[string]*oauthServer) {
	t.Helper()
	cfg := map[string]any{}
	for _, sc := range scs {
		var entry map[string]any
		_ = json.Unmarshal([]byte(sc.config(servers[sc.name].MCPURL)), &entry)
		cfg[sc.name] = entry
	}
	writeClaudeJSON(t, home, cfg)
}

// needsAuth reads a `claude mcp list` status: "! Needs authentication".
func needsAuth(status string) bool { return strings.Contains(status, "Needs authentication") }

// gateWritten reports whether a needs-auth entry exists for name.
func gateWritten(home, name string) bool {
	data, err := os.ReadFile(needsAuthPath(home))
	if err != nil {
		return false
	}
	var m map[string]any
	return json.Unmarshal(data, &m) == nil && m[name] != nil
}

// meet401 makes the servers answer 401 and lets version's `claude mcp list`
// dial them, the way a transient outage meets a client: it writes what it
// writes. 2.1.119's list sometimes exits before writing, so it is repeated
// (at most twice more) until every server the version marks needs-auth has
// its entry. It returns each server's list status.
func meet401(t *testing.T, env []string, claude, home, proj string, scs []versionScenario) map[string]string {
	t.Helper()
	var st map[string]string
	for try := 0; try < 3; try++ {
		st = listWith(t, env, claude, proj)
		missing := false
		for _, sc := range scs {
			if needsAuth(st[sc.name]) && !gateWritten(home, sc.name) {
				missing = true
			}
		}
		if !missing {
			break
		}
	}
	return st
}

// TestClaudeCodeVersionsLive drives each real Claude Code version, installed
// as a user's terminal CLI, through the case this project exists for: its
// `claude mcp list` meets servers answering 401 with OAuth metadata and
// writes what that version writes; the servers recover (some records are
// then aged or edited to cross each version's rule boundaries); mcpmend's
// verdict for that install — found on PATH, its version read from disk,
// judged by its version's rules — must match what the version's next
// session does: skip without a single request, or connect. mcpmend then
// resets every stuck server and the version's next session connects to all.
func TestClaudeCodeVersionsLive(t *testing.T) {
	for _, cv := range claudeVersions {
		t.Run(cv.version, func(t *testing.T) {
			t.Parallel()
			claude := claudeAt(t, cv.pkg)
			home, proj, env := claudeHome(t, claude, "")
			servers := map[string]*oauthServer{}
			for _, sc := range versionScenarios {
				servers[sc.name] = startOAuthServer(t, sc.name, sc.registration)
			}
			writeServers(t, home, versionScenarios, servers)

			list := meet401(t, env, claude, home, proj, versionScenarios)
			t.Logf("%s `claude mcp list` with servers answering 401: %v", cv.version, list)
			for _, sc := range versionScenarios {
				if sc.edit != nil {
					sc.edit(t, home, sc.name)
				}
				servers[sc.name].SetHealthy(true)
			}
			if creds, err := os.ReadFile(filepath.Join(home, ".claude", ".credentials.json")); err == nil {
				t.Logf("%s wrote credentials (no tokens in them): %s", cv.version, creds)
			}

			views := map[string]clientView{}
			for _, sc := range versionScenarios {
				cl, reason := clientsOf(t, env, sc.name)
				c, ok := cl[cv.version]
				if !ok || len(cl) != 1 || c.Runner != "terminal" || c.Assumed != "" {
					t.Fatalf("%s: mcpmend's per-install verdicts %+v (%s), want one for the terminal CLI %s, measured", sc.name, cl, reason, cv.version)
				}
				views[sc.name] = c
				// The 401 answer: the rules' after_401 against what the list said.
				if sc.registration {
					got := map[bool]string{true: "needs-auth", false: "failed"}[needsAuth(list[sc.name])]
					if got != c.After401 {
						t.Errorf("%s %s: `claude mcp list` says %q after a 401, mcpmend's rules %q", cv.version, sc.name, list[sc.name], c.After401)
					}
				}
			}
			for _, s := range servers {
				s.ForgetRequests()
			}
			session := sessionWith(t, env, claude, proj)
			t.Logf("%s session with servers healthy: %v", cv.version, session)
			var stuck []string
			for _, sc := range versionScenarios {
				v, status, reqs := views[sc.name], session[sc.name], servers[sc.name].MCPRequests()
				switch {
				case v.Action == "skip" && (status != "needs-auth" || reqs != 0):
					t.Errorf("%s %s: mcpmend says skip (gates %v), the real session says %q after %d requests", cv.version, sc.name, v.Gates, status, reqs)
				case v.Action == "dial" && !dialled(status, reqs):
					t.Errorf("%s %s: mcpmend says dial, the real session says %q after %d requests", cv.version, sc.name, status, reqs)
				case v.Action != "skip" && v.Action != "dial":
					t.Errorf("%s %s: mcpmend says %q", cv.version, sc.name, v.Action)
				}
				if v.Action == "skip" {
					stuck = append(stuck, sc.name)
				}
			}
			if len(stuck) == 0 {
				t.Fatalf("%s: nothing is stuck, so the reset is not tested", cv.version)
			}

			// stuck → reset → connected
			for _, name := range stuck {
				out := runWith(t, env, "", false, binary, "reset", name, "--client", "claude-code")
				if strings.Contains(out, "CANARY") {
					t.Errorf("reset %s leaks a header value:\n%s", name, out)
				}
				if cl, reason := clientsOf(t, env, name); cl[cv.version].Action != "dial" {
					t.Errorf("%s %s after the reset: %+v (%s)", cv.version, name, cl, reason)
				}
			}
			for _, s := range servers {
				s.ForgetRequests()
			}
			after := sessionWith(t, env, claude, proj)
			for _, name := range stuck {
				if !dialled(after[name], servers[name].MCPRequests()) {
					t.Errorf("%s %s after mcpmend's reset: the real session says %q after %d requests", cv.version, name, after[name], servers[name].MCPRequests())
				}
			}
		})
	}
}

// TestClaudeCodeVersionsSharedHomeLive is one machine with two Claude Codes
// on the same ~/.claude and ~/.claude.json: Claude Desktop's Code chat runs
// its bundled 2.1.150, the terminal runs 2.1.328. Desktop's session meets
// the 401s and writes what 2.1.150 writes; then they disagree — a
// header-less server whose tokenless entry blocks 2.1.150 with no time
// limit but not 2.1.328, and a gate A timestamp in the future that only
// 2.1.150 honours — while a fresh gate A on an Authorization-header server
// blocks both. mcpmend finds both installs (the terminal CLI on PATH,
// Desktop's bundle in its data folder), says whose verdict is whose, and
// each real session does what mcpmend said of it. A reset then brings the
// server back for both, under the same name.
func TestClaudeCodeVersionsSharedHomeLive(t *testing.T) {
	terminal := claudeAt(t, "@anthropic-ai/claude-code")
	desktop := claudeAt(t, "claude-code-2-1-150")
	home, proj, env := claudeHome(t, terminal, desktop)
	scs := []versionScenario{
		{name: "noh", registration: true, edit: func(t *testing.T, home, name string) {
			editNeedsAuth(t, needsAuthPath(home), name, func(m map[string]any) { m["timestamp"] = time.Now().Add(-16 * time.Minute).UnixMilli() })
		}},
		{name: "authz", registration: true, headers: map[string]string{"Authorization": "Bearer CANARY-shared"}},
		{name: "future", registration: true, headers: map[string]string{"X-API-Key": "CANARY-shared"},
			edit: func(t *testing.T, home, name string) {
				editNeedsAuth(t, needsAuthPath(home), name, func(m map[string]any) { m["timestamp"] = time.Now().Add(10 * time.Minute).UnixMilli() })
			}},
	}
	servers := map[string]*oauthServer{}
	for _, sc := range scs {
		servers[sc.name] = startOAuthServer(t, sc.name, sc.registration)
	}
	writeServers(t, home, scs, servers)
	t.Logf("Desktop's 2.1.150 `claude mcp list` with servers answering 401: %v", meet401(t, env, desktop, home, proj, scs))
	for _, sc := range scs {
		if sc.edit != nil {
			sc.edit(t, home, sc.name)
		}
		servers[sc.name].SetHealthy(true)
	}

	want := map[string][2]string{ // Desktop 2.1.150, terminal 2.1.328
		"noh": {"skip", "dial"}, "authz": {"skip", "skip"}, "future": {"skip", "dial"},
	}
	views := map[string]map[string]clientView{}
	for _, sc := range scs {
		cl, reason := clientsOf(t, env, sc.name)
		views[sc.name] = cl
		d, term := cl["2.1.150"], cl["2.1.328"]
		if len(cl) != 2 || d.Runner != "desktop" || term.Runner != "terminal" || d.Who != "Claude Desktop's Code chat (Claude Code 2.1.150)" || term.Who != "the terminal CLI (2.1.328)" {
			t.Fatalf("%s: per-install verdicts %+v", sc.name, cl)
		}
		if w := want[sc.name]; d.Action != w[0] || term.Action != w[1] {
			t.Errorf("%s: mcpmend says Desktop %s, terminal %s; the scenario expects %s, %s (%s)", sc.name, d.Action, term.Action, w[0], w[1], reason)
		}
		if d.Action != term.Action && !strings.Contains(reason, "Claude Desktop's Code chat (Claude Code 2.1.150) skips this server") {
			t.Errorf("%s: the reason does not say whose verdict is whose: %s", sc.name, reason)
		}
		if strings.Contains(reason, "CANARY") {
			t.Errorf("%s: reason leaks a header value: %s", sc.name, reason)
		}
	}

	// Each real session does what mcpmend said of its version: Desktop's
	// first, since 2.1.328's successful dials delete what blocks 2.1.150.
	check := func(who, claude, version string) {
		for _, s := range servers {
			s.ForgetRequests()
		}
		got := sessionWith(t, env, claude, proj)
		t.Logf("%s session: %v", who, got)
		for _, sc := range scs {
			v, status, reqs := views[sc.name][version], got[sc.name], servers[sc.name].MCPRequests()
			if v.Action == "skip" && (status != "needs-auth" || reqs != 0) || v.Action == "dial" && !dialled(status, reqs) {
				t.Errorf("%s %s: mcpmend says %s, the real session says %q after %d requests", who, sc.name, v.Action, status, reqs)
			}
		}
	}
	check("Desktop's 2.1.150", desktop, "2.1.150")
	check("the terminal's 2.1.328", terminal, "2.1.328")

	// What still blocks either of them is reset; then both connect.
	for _, sc := range scs {
		cl, _ := clientsOf(t, env, sc.name)
		if cl["2.1.150"].Action == "skip" || cl["2.1.328"].Action == "skip" {
			runWith(t, env, "", false, binary, "reset", sc.name, "--client", "claude-code")
		}
	}
	for _, sc := range scs {
		cl, reason := clientsOf(t, env, sc.name)
		views[sc.name] = cl
		if cl["2.1.150"].Action != "dial" || cl["2.1.328"].Action != "dial" {
			t.Errorf("%s after the reset: %s", sc.name, reason)
		}
	}
	check("Desktop's 2.1.150 after the reset", desktop, "2.1.150")
	check("the terminal's 2.1.328 after the reset", terminal, "2.1.328")
}
