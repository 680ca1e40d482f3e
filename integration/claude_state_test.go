package integration

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// runClaude runs the real Claude Code CLI in cwd with the test's home and
// returns stdout; it fails the test on a non-zero exit unless allowFail.
func runClaude(t testing.TB, claude, home, cwd string, allowFail bool, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, claude, args...)
	cmd.Dir = cwd
	cmd.Env = homeEnv(home)
	cmd.Stdin = strings.NewReader("")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil && !allowFail {
		t.Fatalf("claude %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String()
}

// sessionStatuses runs `claude -p hi --output-format stream-json --verbose`
// and returns each MCP server's status from its first (init) line: what a
// real session decided about every server. The model call itself fails
// without an API key, after the init line.
func sessionStatuses(t testing.TB, claude, home, cwd string) map[string]string {
	t.Helper()
	out := runClaude(t, claude, home, cwd, true, "-p", "hi", "--output-format", "stream-json", "--verbose")
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 4<<20), 4<<20)
	for sc.Scan() {
		var ev struct {
			Type, Subtype string
			MCPServers    []struct{ Name, Status string } `json:"mcp_servers"`
		}
		if json.Unmarshal(sc.Bytes(), &ev) != nil || ev.Type != "system" || ev.Subtype != "init" {
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

// dialled reads a session's verdict on a server: it sent requests and did
// not report needs-auth. Under load a slow server can still be "pending"
// when the init line is printed; it was dialled all the same.
func dialled(status string, requests int) bool {
	return requests > 0 && (status == "connected" || status == "pending")
}

// needsAuthPath is Claude Code's gate A file in a test home.
func needsAuthPath(home string) string {
	return filepath.Join(home, ".claude", "mcp-needs-auth-cache.json")
}

// mcpmendState is the part of `mcpmend state NAME --json` the test compares.
type mcpmendState struct {
	Session struct {
		Action string
		Gates  []struct{ Gate string }
		Reason string
	}
	Stores []struct {
		Store   string
		Records []struct{ Kind, Key string }
	}
	Evidence []struct{ Detail string }
}

func (s mcpmendState) gates() string {
	var g []string
	for _, x := range s.Session.Gates {
		g = append(g, x.Gate)
	}
	return strings.Join(g, "")
}

func stateOf(t testing.TB, home, name string) mcpmendState {
	t.Helper()
	out, errOut, code := runCLI(t, home, "state", name, "--json", "--client", "claude-code")
	if code != 0 {
		t.Fatalf("mcpmend state %s: exit %d\n%s", name, code, errOut)
	}
	var st mcpmendState
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("mcpmend state %s --json: %v\n%s", name, err, out)
	}
	return st
}

// claudeScenario is one server of the live test and what the real CLI
// should make of it.
type claudeScenario struct {
	name         string
	registration bool                       // the authorization server offers dynamic client registration
	headers      bool                       // the config sends a header (exempt from gates B and C)
	healthyFirst bool                       // healthy during `claude mcp list` too: never stuck
	edit         func(entry map[string]any) // hand edit of its needs-auth entry after `claude mcp list`
	wantAction   string
	wantGates    string
}

// TestClaudeCodeStateLive reproduces the stuck state with the real Claude
// Code CLI and checks mcpmend's session view against what a real session
// does: `claude mcp list` against 401 servers writes gates A, B and C; the
// servers then turn healthy; for every server mcpmend's "skip" must match
// the session reporting needs-auth without sending the server a single
// request, and "dial" must match the session connecting.
//
// With MCPMEND_UPDATE_FIXTURE=1 it also refreshes cache/testdata/claude-state
// (see regenerate.sh there), which the cache and tools unit tests read.
func TestClaudeCodeStateLive(t *testing.T) {
	claude := npmBin(t, "claude")
	home := t.TempDir()
	proj := filepath.Join(home, "proj")
	if err := os.MkdirAll(proj, 0o755); err != nil {
		t.Fatal(err)
	}
	scenarios := []claudeScenario{
		{name: "stuck-reg", registration: true, wantAction: "skip", wantGates: "AB"},
		{name: "stuck-noreg", registration: false, wantAction: "skip", wantGates: "BC"},
		{name: "hdr-a", registration: true, headers: true, wantAction: "skip", wantGates: "A"},
		{name: "lapsed-a", registration: true, headers: true, wantAction: "dial",
			edit: func(m map[string]any) { m["ttlMs"] = 1 }},
		{name: "future-a", registration: true, headers: true, wantAction: "dial",
			edit: func(m map[string]any) { m["timestamp"] = time.Now().Add(10 * time.Minute).UnixMilli() }},
		{name: "fresh", registration: true, healthyFirst: true, wantAction: "dial"},
	}
	servers := map[string]*oauthServer{}
	for _, sc := range scenarios {
		s := startOAuthServer(t, sc.name, sc.registration)
		s.SetHealthy(sc.healthyFirst)
		servers[sc.name] = s
		cfg := map[string]any{"type": "http", "url": s.MCPURL}
		if sc.headers {
			cfg["headers"] = map[string]string{"X-Fixture": "CANARY-header-" + sc.name}
		}
		js, _ := json.Marshal(cfg)
		runClaude(t, claude, home, proj, false, "mcp", "add-json", "-s", "user", sc.name, string(js))
	}
	list := runClaude(t, claude, home, proj, false, "mcp", "list")
	t.Logf("claude mcp list:\n%s", list)

	cachePath := filepath.Join(home, ".claude", "mcp-needs-auth-cache.json")
	for _, sc := range scenarios {
		if sc.edit != nil {
			editNeedsAuth(t, cachePath, sc.name, sc.edit)
		}
	}
	for _, s := range servers {
		s.SetHealthy(true) // the upstream recovered: only the client's memory blocks it now
	}

	views := map[string]mcpmendState{}
	for _, sc := range scenarios {
		views[sc.name] = stateOf(t, home, sc.name)
		if got := views[sc.name]; got.Session.Action != sc.wantAction || got.gates() != sc.wantGates {
			t.Errorf("%s: mcpmend says %s (gates %q), the scenario expects %s (gates %q): %s",
				sc.name, got.Session.Action, got.gates(), sc.wantAction, sc.wantGates, got.Session.Reason)
		}
	}

	// What mcpmend judged is what the fixture keeps; the session below
	// changes it (a successful dial deletes the server's gate entries).
	judged := snapshotState(t, home)
	for _, s := range servers {
		s.ForgetRequests()
	}
	sessionAt := time.Now()
	statuses := sessionStatuses(t, claude, home, proj)
	t.Logf("claude -p init: %v", statuses)
	requests := map[string]int{}
	for _, sc := range scenarios {
		got, status, reqs := views[sc.name].Session.Action, statuses[sc.name], servers[sc.name].MCPRequests()
		requests[sc.name] = reqs
		switch got {
		case "skip":
			if status != "needs-auth" || reqs != 0 {
				t.Errorf("%s: mcpmend says skip, but the session reported %q after %d requests to the server", sc.name, status, reqs)
			}
		case "dial":
			if !dialled(status, reqs) {
				t.Errorf("%s: mcpmend says dial, but the session reported %q after %d requests to the server", sc.name, status, reqs)
			}
		default:
			t.Errorf("%s: mcpmend says %q", sc.name, got)
		}
	}

	// A successful dial makes Claude Code drop the server's gate entries;
	// mcpmend reads the new state.
	if st := stateOf(t, home, "lapsed-a"); len(st.Stores) != 0 {
		t.Errorf("lapsed-a after a successful session still has records: %+v", st.Stores)
	}

	// The session's own log says why it skipped, and mcpmend shows it.
	after := stateOf(t, home, "stuck-reg")
	if n := len(after.Evidence); n == 0 || !strings.Contains(after.Evidence[n-1].Detail, "Skipping connection (cached needs-auth)") {
		t.Errorf("stuck-reg evidence = %+v, want the session's skip line last", after.Evidence)
	}

	// The MCP tool over stdio gives the same verdict as the CLI.
	cs := connect(t, home)
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "server_state", Arguments: map[string]any{"name": "stuck-noreg"}})
	if err != nil || res.IsError {
		t.Fatalf("server_state over stdio: %v %+v", err, res)
	}
	raw, _ := json.Marshal(res)
	if bytes.Contains(raw, []byte("CANARY")) {
		t.Errorf("server_state leaks a configured header value: %s", raw)
	}
	var viaTool mcpmendState
	sc, _ := json.Marshal(res.StructuredContent)
	if err := json.Unmarshal(sc, &viaTool); err != nil || viaTool.Session.Action != "skip" || viaTool.gates() != "BC" {
		t.Errorf("server_state over stdio = %+v (%v), want skip with gates B and C", viaTool.Session, err)
	}
	out, _, _ := runCLI(t, home, "list", "--client", "claude-code")
	if !strings.Contains(out, "state: skip (gate A+B)") || strings.Contains(out, "CANARY") {
		t.Errorf("mcpmend list does not show the stuck state (or leaks):\n%s", out)
	}

	if os.Getenv("MCPMEND_UPDATE_FIXTURE") == "1" {
		writeClaudeFixture(t, home, proj, judged, sessionAt, scenarios, statuses, requests, views)
	}
}

// editNeedsAuth rewrites one entry of Claude Code's needs-auth cache.
func editNeedsAuth(t testing.TB, path, name string, f func(map[string]any)) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("claude mcp list wrote no needs-auth cache: %v", err)
	}
	var m map[string]map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	if m[name] == nil {
		t.Fatalf("claude mcp list wrote no needs-auth entry for %s: %s", name, data)
	}
	f(m[name])
	data, _ = json.Marshal(m)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// fixtureMeta is cache/testdata/claude-state/meta.json: when and where the
// real CLI wrote the fixture, and what its session made of each server.
type fixtureMeta struct {
	Generator     string                   `json:"generator"`
	ClaudeVersion string                   `json:"claude_version"`
	SessionAtMs   int64                    `json:"session_at_ms"`
	CWD           string                   `json:"cwd"`
	Servers       map[string]fixtureServer `json:"servers"`
}

type fixtureServer struct {
	Scenario       string `json:"scenario"`
	SessionStatus  string `json:"session_status"`  // from claude -p's init line
	SessionDialled bool   `json:"session_dialled"` // the server received requests during that session
	MCPMendAction  string `json:"mcpmend_action"`
	MCPMendGates   string `json:"mcpmend_gates"`
}

// claudeStateFiles are the files that hold Claude Code's memory of servers.
var claudeStateFiles = []string{".claude.json", ".claude/.credentials.json", ".claude/mcp-needs-auth-cache.json"}

// snapshotState reads claudeStateFiles under home.
func snapshotState(t testing.TB, home string) map[string][]byte {
	t.Helper()
	snap := map[string][]byte{}
	for _, rel := range claudeStateFiles {
		data, err := os.ReadFile(filepath.Join(home, filepath.FromSlash(rel)))
		if err != nil {
			t.Fatalf("snapshot: %v", err)
		}
		snap[rel] = data
	}
	return snap
}

// writeClaudeFixture copies what the real CLI wrote into cache/testdata: the
// state files as mcpmend judged them just before the session, and the MCP
// logs after it (they hold the session's own account).
func writeClaudeFixture(t testing.TB, home, proj string, judged map[string][]byte, sessionAt time.Time, scenarios []claudeScenario,
	statuses map[string]string, requests map[string]int, views map[string]mcpmendState) {
	t.Helper()
	dst := filepath.Join("..", "cache", "testdata", "claude-state")
	if err := os.RemoveAll(filepath.Join(dst, "home")); err != nil {
		t.Fatal(err)
	}
	put := func(rel string, data []byte) {
		target := filepath.Join(dst, "home", filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(target, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for rel, data := range judged {
		put(rel, data)
	}
	logs := filepath.Join(home, ".cache", "claude-cli-nodejs")
	_ = filepath.WalkDir(logs, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.Contains(p, "mcp-logs-") && strings.HasSuffix(p, ".jsonl") {
			rel, _ := filepath.Rel(home, p)
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatalf("fixture: %v", err)
			}
			put(filepath.ToSlash(rel), data)
		}
		return nil
	})
	ver := strings.Fields(runClaude(t, npmBin(t, "claude"), home, proj, false, "--version"))
	meta := fixtureMeta{Generator: "integration/claude_state_test.go TestClaudeCodeStateLive (MCPMEND_UPDATE_FIXTURE=1)",
		SessionAtMs: sessionAt.UnixMilli(), CWD: proj, Servers: map[string]fixtureServer{}}
	if len(ver) > 0 {
		meta.ClaudeVersion = ver[0]
	}
	for _, sc := range scenarios {
		desc := "401 then healthy"
		switch {
		case sc.healthyFirst:
			desc = "healthy throughout"
		case sc.edit != nil && sc.name == "lapsed-a":
			desc = "401 then healthy; needs-auth entry edited to ttlMs 1"
		case sc.edit != nil:
			desc = "401 then healthy; needs-auth timestamp edited to 10 min in the future"
		}
		if !sc.registration {
			desc += "; no registration_endpoint"
		}
		if sc.headers {
			desc += "; config sends a header"
		}
		meta.Servers[sc.name] = fixtureServer{Scenario: desc, SessionStatus: statuses[sc.name], SessionDialled: requests[sc.name] > 0,
			MCPMendAction: views[sc.name].Session.Action, MCPMendGates: views[sc.name].gates()}
	}
	js, _ := json.MarshalIndent(meta, "", "  ")
	if err := os.WriteFile(filepath.Join(dst, "meta.json"), append(js, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	var names []string
	for n := range meta.Servers {
		names = append(names, n)
	}
	sort.Strings(names)
	t.Logf("fixture written to %s for %s", dst, fmt.Sprint(names))
}
