package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/tidwall/gjson"
)

// resetResult is the part of reset_server_auth's result the tests read.
type resetResult struct {
	ID      string `json:"id"`
	Outcome string `json:"outcome"`
	Changes []struct {
		Store, File, Key, Kind string
	} `json:"changes"`
	Session struct{ Action string } `json:"session"`
	PickUp  []string                `json:"pick_up"`
}

// resetCLI runs `mcpmend reset NAME --json` with extra flags.
func resetCLI(t testing.TB, home, name string, flags ...string) resetResult {
	t.Helper()
	out, errOut, code := runCLI(t, home, append([]string{"reset", name, "--json", "--client", "claude-code"}, flags...)...)
	if code != 0 {
		t.Fatalf("mcpmend reset %s: exit %d\n%s\n%s", name, code, out, errOut)
	}
	var r resetResult
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("mcpmend reset %s --json: %v\n%s", name, err, out)
	}
	return r
}

// claudeMemory reads Claude Code's two memory files under home.
func claudeMemory(t testing.TB, home string) (creds, needs []byte) {
	t.Helper()
	var err error
	if creds, err = os.ReadFile(filepath.Join(home, ".claude", ".credentials.json")); err != nil {
		t.Fatal(err)
	}
	if needs, err = os.ReadFile(filepath.Join(home, ".claude", "mcp-needs-auth-cache.json")); err != nil {
		t.Fatal(err)
	}
	return creds, needs
}

// TestResetStuckServersLive is the whole story with the real Claude Code
// CLI: `claude mcp list` against loopback OAuth servers writes gates A+B
// (with registration) or B+C (without); the servers turn healthy; a real
// session still reports needs-auth without sending them a request. mcpmend
// then resets one A+B server through the CLI, one through the MCP tool over
// stdio, and the B+C server through the CLI (after a reset → undo round trip
// that must restore both files byte for byte). The next real session
// connects to all three — and they receive requests — while the bystander,
// never reset, stays stuck with its entries byte-identical.
func TestResetStuckServersLive(t *testing.T) {
	claude := npmBin(t, "claude")
	home := t.TempDir()
	proj := filepath.Join(home, "proj")
	if err := os.MkdirAll(proj, 0o755); err != nil {
		t.Fatal(err)
	}
	type scenario struct {
		name         string
		registration bool
		gates        string
	}
	scenarios := []scenario{
		{"cli-ab", true, "AB"}, {"tool-ab", true, "AB"}, {"cli-c", false, "BC"}, {"bystander", true, "AB"},
	}
	servers := map[string]*oauthServer{}
	for _, sc := range scenarios {
		s := startOAuthServer(t, sc.name, sc.registration)
		servers[sc.name] = s
		runClaude(t, claude, home, proj, false, "mcp", "add-json", "-s", "user", sc.name, `{"type":"http","url":"`+s.MCPURL+`"}`)
	}
	runClaude(t, claude, home, proj, false, "mcp", "list") // 401s: Claude Code writes the gates
	for _, s := range servers {
		s.SetHealthy(true)
	}
	for _, sc := range scenarios {
		if st := stateOf(t, home, sc.name); st.Session.Action != "skip" || st.gates() != sc.gates {
			t.Fatalf("%s before the reset: %s gates %q, want skip %q", sc.name, st.Session.Action, st.gates(), sc.gates)
		}
	}
	for _, s := range servers {
		s.ForgetRequests() // `claude mcp list` dialled them; count from the session on
	}
	statuses := sessionStatuses(t, claude, home, proj)
	for _, sc := range scenarios {
		if statuses[sc.name] != "needs-auth" || servers[sc.name].MCPRequests() != 0 {
			t.Fatalf("%s before the reset: session says %q after %d requests", sc.name, statuses[sc.name], servers[sc.name].MCPRequests())
		}
	}

	byKey := credKey("bystander", servers["bystander"].MCPURL)
	creds0, needs0 := claudeMemory(t, home)
	bystanderCreds := gjson.GetBytes(creds0, "mcpOAuth."+gjson.Escape(byKey)).Raw
	bystanderNeeds := gjson.GetBytes(needs0, gjson.Escape("bystander")).Raw
	if bystanderCreds == "" || bystanderNeeds == "" {
		t.Fatalf("the bystander has no gate entries to protect:\n%s\n%s", creds0, needs0)
	}

	// 1. Gates A+B through the CLI, dry run first.
	dry := resetCLI(t, home, "cli-ab", "--dry-run")
	if dry.Outcome != "dry-run" || len(dry.Changes) != 2 || dry.ID != "" {
		t.Fatalf("dry run: %+v", dry)
	}
	if c, n := claudeMemory(t, home); !bytes.Equal(c, creds0) || !bytes.Equal(n, needs0) {
		t.Fatal("the dry run changed a file")
	}
	r := resetCLI(t, home, "cli-ab")
	if r.Outcome != "applied" || r.ID == "" || r.Session.Action != "dial" || len(r.Changes) != 2 {
		t.Fatalf("reset cli-ab: %+v", r)
	}
	if again := resetCLI(t, home, "cli-ab"); again.Outcome != "nothing-to-reset" {
		t.Fatalf("second reset: %+v", again)
	}

	// 2. Gate C: reset, undo (every byte back), reset again.
	credsC, needsC := claudeMemory(t, home)
	r = resetCLI(t, home, "cli-c")
	if r.Outcome != "applied" || r.Session.Action != "dial" || len(r.Changes) != 1 || r.Changes[0].Kind == "" {
		t.Fatalf("reset cli-c: %+v", r)
	}
	if out, errOut, code := runCLI(t, home, "undo", r.ID); code != 0 || !strings.Contains(out, "undone") {
		t.Fatalf("mcpmend undo: %d\n%s\n%s", code, out, errOut)
	}
	if c, n := claudeMemory(t, home); !bytes.Equal(c, credsC) || !bytes.Equal(n, needsC) {
		t.Fatalf("undo did not restore the files byte for byte:\n%s\nwant\n%s", c, credsC)
	}
	if st := stateOf(t, home, "cli-c"); st.Session.Action != "skip" || st.gates() != "BC" {
		t.Fatalf("cli-c after undo: %+v", st.Session)
	}
	if r = resetCLI(t, home, "cli-c"); r.Outcome != "applied" {
		t.Fatalf("reset cli-c again: %+v", r)
	}

	// 3. Gates A+B through the MCP tool over stdio.
	cs := connect(t, home)
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "reset_server_auth",
		Arguments: map[string]any{"name": "tool-ab", "client": "claude-code"}})
	if err != nil || res.IsError {
		t.Fatalf("reset_server_auth over stdio: %v %+v", err, res)
	}
	var viaTool resetResult
	raw, _ := json.Marshal(res.StructuredContent)
	if err := json.Unmarshal(raw, &viaTool); err != nil || viaTool.Outcome != "applied" || viaTool.Session.Action != "dial" {
		t.Fatalf("reset_server_auth result: %s (%v)", raw, err)
	}
	if text := res.Content[0].(*mcp.TextContent).Text; !strings.Contains(text, "/mcp") || !strings.Contains(text, "undo_reset") {
		t.Errorf("the answer does not say how a running client picks it up:\n%s", text)
	}
	if out, _, code := runCLI(t, home, "status"); code != 0 || strings.Count(out, "applied") != 3 || !strings.Contains(out, "undone") {
		t.Errorf("mcpmend status:\n%s", out)
	}

	// The bystander's entries, byte for byte, and the file mode.
	creds1, needs1 := claudeMemory(t, home)
	if got := gjson.GetBytes(creds1, "mcpOAuth."+gjson.Escape(byKey)).Raw; got != bystanderCreds {
		t.Errorf("bystander credentials entry changed:\n%s\nwas\n%s", got, bystanderCreds)
	}
	if got := gjson.GetBytes(needs1, gjson.Escape("bystander")).Raw; got != bystanderNeeds {
		t.Errorf("bystander needs-auth entry changed: %s, was %s", got, bystanderNeeds)
	}
	if fi, err := os.Stat(filepath.Join(home, ".claude", ".credentials.json")); err != nil || runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf(".credentials.json mode: %v %v", fi.Mode(), err)
	}

	// The next real session connects to every reset server, and only to them.
	for _, s := range servers {
		s.ForgetRequests()
	}
	statuses = sessionStatuses(t, claude, home, proj)
	t.Logf("claude -p after the resets: %v", statuses)
	for _, name := range []string{"cli-ab", "tool-ab", "cli-c"} {
		if statuses[name] != "connected" || servers[name].MCPRequests() == 0 {
			t.Errorf("%s after the reset: session says %q after %d requests", name, statuses[name], servers[name].MCPRequests())
		}
	}
	if statuses["bystander"] != "needs-auth" || servers["bystander"].MCPRequests() != 0 {
		t.Errorf("bystander: session says %q after %d requests", statuses["bystander"], servers["bystander"].MCPRequests())
	}
}

// mcpmendErr runs the binary like runCLI but returns an error instead of
// failing the test, so it can run in a goroutine.
func mcpmendErr(home string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = homeEnv(home)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.Bytes(), fmt.Errorf("%v: %s", err, errb.String())
	}
	return out.Bytes(), nil
}

// TestResetWhileClaudeCodeEditsLive runs `mcpmend reset` in a loop while the
// real `claude mcp add-json` / `claude mcp remove` runs in another loop on
// the same home. Claude Code rewrites ~/.claude.json and, on remove, deletes
// entries from .credentials.json under .storage-write.lock; mcpmend removes
// gate entries from .credentials.json under the same lock. At the end both
// files parse and hold every entry either side wrote (and lack every entry
// either side removed). Both loops are bounded in count and time.
func TestResetWhileClaudeCodeEditsLive(t *testing.T) {
	claude := npmBin(t, "claude")
	home := t.TempDir()
	const nClaude, nOurs = 10, 60
	deadline := time.Now().Add(3 * time.Minute)
	url := func(p string, i int) string {
		return fmt.Sprintf("http://127.0.0.1:%d/mcp", map[string]int{"c": 21000, "m": 22000, "k": 23000}[p]+i)
	}
	// Configured servers: m* (mcpmend resets them) and k* (bystanders),
	// each with a tokenless gate-B entry and a needs-auth entry; tokens for
	// the c* servers Claude Code will add (and remove every other one).
	cfg := map[string]any{}
	oauth := map[string]any{}
	needs := map[string]any{}
	stamp := time.Now().UnixMilli()
	gateEntry := func(name, u string) map[string]any {
		return map[string]any{"serverName": name, "serverUrl": u, "accessToken": "",
			"discoveryState": map[string]any{"oauthMetadataFound": true, "tokenlessRejectedAt": stamp}}
	}
	for i := range nOurs {
		for _, p := range []string{"m", "k"} {
			name := fmt.Sprintf("%s%d", p, i)
			cfg[name] = map[string]any{"type": "http", "url": url(p, i)}
			oauth[credKey(name, url(p, i))] = gateEntry(name, url(p, i))
			needs[name] = map[string]any{"timestamp": stamp}
		}
	}
	for i := range nClaude {
		name := fmt.Sprintf("c%d", i)
		oauth[credKey(name, url("c", i))] = map[string]any{"serverName": name, "accessToken": "CANARY-c"}
	}
	writeJSON := func(rel string, v any, indent bool) []byte {
		var b []byte
		if indent {
			b, _ = json.MarshalIndent(v, "", "  ")
		} else {
			b, _ = json.Marshal(v)
		}
		p := filepath.Join(home, rel)
		os.MkdirAll(filepath.Dir(p), 0o700)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return b
	}
	writeJSON(".claude.json", map[string]any{"mcpServers": cfg}, true)
	credsBefore := writeJSON(".claude/.credentials.json", map[string]any{"claudeAiOauth": map[string]any{"accessToken": "CANARY-acct"}, "mcpOAuth": oauth}, false)
	writeJSON(".claude/mcp-needs-auth-cache.json", needs, false)

	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	fail := func(err error) { mu.Lock(); errs = append(errs, err); mu.Unlock() }
	claudeDone := make(chan struct{})
	ours := 0
	wg.Go(func() {
		defer close(claudeDone)
		for i := 0; i < nClaude && time.Now().Before(deadline); i++ {
			name := fmt.Sprintf("c%d", i)
			if err := claudeErr(claude, home, "mcp", "add-json", "-s", "user", name, `{"type":"http","url":"`+url("c", i)+`"}`); err != nil {
				fail(err)
				return
			}
			if i%2 == 0 {
				if err := claudeErr(claude, home, "mcp", "remove", "-s", "user", name); err != nil {
					fail(err)
					return
				}
			}
		}
	})
	wg.Go(func() {
		for i := 0; i < nOurs && time.Now().Before(deadline); i++ {
			select {
			case <-claudeDone:
				return
			default:
			}
			name := fmt.Sprintf("m%d", i)
			out, err := mcpmendErr(home, "reset", name, "--json", "--client", "claude-code")
			var r resetResult
			if err != nil || json.Unmarshal(out, &r) != nil || r.Outcome != "applied" {
				fail(fmt.Errorf("mcpmend reset %s: %v: %s", name, err, out))
				return
			}
			ours = i + 1
		}
	})
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}
	t.Logf("Claude Code: %d adds and %d removes; mcpmend meanwhile: %d resets", nClaude, (nClaude+1)/2, ours)
	if ours < 3 {
		t.Fatalf("only %d resets overlapped Claude Code's edits", ours)
	}

	cfgNow, err := os.ReadFile(filepath.Join(home, ".claude.json"))
	if err != nil || !gjson.ValidBytes(cfgNow) {
		t.Fatalf("~/.claude.json does not parse (%v):\n%s", err, cfgNow)
	}
	servers := gjson.GetBytes(cfgNow, "mcpServers")
	for i := range nClaude {
		if got, want := servers.Get(fmt.Sprintf("c%d", i)).Exists(), i%2 == 1; got != want {
			t.Errorf("Claude Code's c%d present=%v, want %v", i, got, want)
		}
	}
	for i := range nOurs {
		for _, p := range []string{"m", "k"} {
			if !servers.Get(fmt.Sprintf("%s%d", p, i)).Exists() {
				t.Errorf("config entry %s%d was lost", p, i)
			}
		}
	}
	credsNow, err := os.ReadFile(filepath.Join(home, ".claude", ".credentials.json"))
	if err != nil || !gjson.ValidBytes(credsNow) {
		t.Fatalf(".credentials.json does not parse (%v)", err)
	}
	left := gjson.GetBytes(credsNow, "mcpOAuth")
	for i := range nClaude {
		if got, want := left.Get(gjson.Escape(credKey(fmt.Sprintf("c%d", i), url("c", i)))).Exists(), i%2 == 1; got != want {
			t.Errorf("Claude Code's token entry c%d present=%v, want %v", i, got, want)
		}
	}
	for i := range nOurs {
		m := gjson.Escape(credKey(fmt.Sprintf("m%d", i), url("m", i)))
		if got, want := left.Get(m).Exists(), i >= ours; got != want {
			t.Errorf("m%d gate entry present=%v, want %v", i, got, want)
		}
		k := gjson.Escape(credKey(fmt.Sprintf("k%d", i), url("k", i)))
		if left.Get(k).Raw != gjson.GetBytes(credsBefore, "mcpOAuth."+k).Raw {
			t.Errorf("bystander k%d changed", i)
		}
	}
	if gjson.GetBytes(credsNow, "claudeAiOauth").Raw != gjson.GetBytes(credsBefore, "claudeAiOauth").Raw {
		t.Error("the account login changed")
	}
	if needsNow, _ := os.ReadFile(filepath.Join(home, ".claude", "mcp-needs-auth-cache.json")); !gjson.ValidBytes(needsNow) {
		t.Errorf("the needs-auth cache does not parse:\n%s", needsNow)
	}
}
