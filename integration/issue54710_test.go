//go:build linux

package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/internal/chromiumtest"
)

// name54710 is the server of claude-code issue 54710.
const name54710 = "digitalocean-accounts"

// desktopItems54710 are what Claude Desktop's page keeps in Local Storage
// on the 54710 machine: two items of the server's own (with tokens), and
// items a reset of it must leave alone — another server's, one of a
// longer name, one in another letter case, a value that mentions it, and
// a UTF-16 value.
var desktopItems54710 = map[string]string{
	"mcp:" + name54710 + ":auth":    `{"access_token":"CANARY-DO-ACCESS-5471","expires_at":1}`,
	"mcp-auth-" + name54710:         "CANARY-DO-PLAIN-5471",
	"mcp:docs:auth":                 `{"access_token":"docs-token-kept"}`,
	name54710 + "-v2.lastUsed":      "a longer name's item",
	"DigitalOcean-Accounts:display": "another letter case",
	"recentServers":                 `["` + name54710 + `","docs"]`,
	"layout":                        `{"sidebar":"open","mood":"🙂"}`,
}

// ownItems54710 are the items keyed by the server's name: what the reset
// removes.
var ownItems54710 = []string{"mcp:" + name54710 + ":auth", "mcp-auth-" + name54710}

// desktopWrites54710 runs Claude Desktop — real Chromium on Desktop's
// userData — whose page writes desktopItems54710, and waits until Chromium
// has committed them to disk and holds the database's lock. It returns
// the running browser, the page's port and its storage key.
func desktopWrites54710(t *testing.T, userData, dir string) (b *chromiumtest.Browser, port int, origin string) {
	t.Helper()
	port = storagePages(t, 0)
	br, session := chromiumSession(t, userData, port)
	items, _ := json.Marshal(desktopItems54710)
	if err := br.Eval(session, fmt.Sprintf(`(() => { for (const [k, v] of Object.entries(%s)) localStorage.setItem(k, v); return true; })()`, items), nil); err != nil {
		t.Fatal(err)
	}
	origin = fmt.Sprintf("http://127.0.0.1:%d", port)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		if maps.Equal(decodeView(t, itemRows(t, dir))[origin], desktopItems54710) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Chromium did not commit the items to disk within 30 s")
		}
	}
	waitLockHeld(t, dir, br.Pid())
	return br, port, origin
}

// TestIssue54710EndToEnd is claude-code issue 54710 on one machine, fixed
// through mcpmend's MCP tools over stdio in two calls. A ~/.claude.json
// server with a static Authorization header is healthy, but Claude Code's
// needs-auth cache holds a stamp for it — ahead of the clock, as a clock
// set back leaves it: Claude Desktop's bundled 2.1.119 (no lower bound)
// skips the server until 15 minutes past that time, the terminal's 2.1.328
// ignores it, so the two disagree on the same files (a fresh stamp would
// block both, which TestModelFirstBudgets54710 covers); Claude Desktop runs (real
// Chromium holding its Local Storage, with items keyed by the name). Then:
// diagnose says Desktop's Code chat skips the server and the terminal CLI
// connects — and the real 2.1.119 does skip it; reset_server_auth clears
// Claude Code's memory now and schedules Desktop's part, telling the user
// to quit Desktop; reset_status shows it waiting; Desktop quits and the
// worker applies it; Chromium reads every other item intact; real
// sessions of both versions connect under the same name.
func TestIssue54710EndToEnd(t *testing.T) {
	needChromium(t)
	terminal := claudeAt(t, "@anthropic-ai/claude-code")
	bundled := claudeAt(t, "claude-code-2-1-119")
	home, proj, env := claudeHome(t, terminal, bundled)
	killWorkerAtEnd(t, home)
	fixture54710(t, home, time.Now().Add(10*time.Minute))
	userData := filepath.Join(home, ".config", "Claude")
	dir := filepath.Join(userData, "Local Storage", "leveldb")
	desktop, port, origin := desktopWrites54710(t, userData, dir)
	api := newStubMessagesAPI(t)
	sessionEnv := append(env[:len(env):len(env)], "ANTHROPIC_BASE_URL="+api.URL, "ANTHROPIC_API_KEY=sk-ant-test-not-a-key")

	// The real Desktop Code chat's Claude Code skips the server.
	if st := sessionWith(t, sessionEnv, bundled, proj); st[name54710] != "needs-auth" {
		t.Fatalf("the bundled 2.1.119 session before the reset: %v (the fixture is not stuck)", st)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	m := newModelSession(t, ctx, env, "2.1.119")
	all, _ := m.call("diagnose", map[string]any{"timeout": 20}, budgetDiagnoseAll)
	var overview struct {
		Servers []struct{ Name, Status string }
	}
	if json.Unmarshal([]byte(all), &overview); len(overview.Servers) != 7 {
		t.Errorf("diagnose {} judged %+v, want the 7 servers:\n%s", overview.Servers, all)
	}

	m.calls = 0
	one, oneText := m.call("diagnose", map[string]any{"name": name54710}, budgetDiagnoseOne)
	t.Logf("diagnose:\n%s\n%s", one, oneText)
	var d struct {
		Next struct {
			Tool      string
			Arguments map[string]any
		}
	}
	json.Unmarshal([]byte(one), &d)
	if d.Next.Tool != "reset_server_auth" || d.Next.Arguments["name"] != name54710 {
		t.Fatalf("diagnose: next is not the reset: %s", one)
	}
	for _, want := range []string{"Claude Desktop's Code chat (Claude Code 2.1.119) skips this server", "the terminal CLI (2.1.328) connects to it"} {
		if !strings.Contains(one, want) || !strings.Contains(oneText, want) {
			t.Errorf("diagnose does not say %q:\n%s\n%s", want, one, oneText)
		}
	}

	reset, resetText := m.call(d.Next.Tool, d.Next.Arguments, budgetReset)
	t.Logf("reset:\n%s\n%s", reset, resetText)
	if m.calls != 2 {
		t.Errorf("%d calls to fix 54710, want 2", m.calls)
	}
	var rs struct {
		Outcome, ID string
		Next        struct{ Step, Tool string }
		Steps       []struct{ Store, Status string }
	}
	json.Unmarshal([]byte(reset), &rs)
	steps := map[string]string{}
	for _, s := range rs.Steps {
		steps[s.Store] = s.Status
	}
	if rs.Outcome != "waiting" || steps[store.NeedsAuth] != "applied" || steps[store.Desktop] != "waiting" {
		t.Fatalf("reset while Desktop runs: %s", reset)
	}
	quit := "Quit Claude Desktop (⌘Q on macOS, File → Exit on Windows); the reset applies as it exits; relaunch and " + name54710 + " is dialled again under the same name."
	if !strings.Contains(rs.Next.Step, quit) || rs.Next.Tool != "reset_status" || !strings.Contains(resetText, quit) {
		t.Errorf("the answer does not tell the user to quit Claude Desktop: %s\n%s", reset, resetText)
	}
	// Words true for a header server: no "without a token", no gate letters.
	for _, wrong := range []string{"without a token", "gate A", "gate B", "clears gate"} {
		if strings.Contains(one+oneText+reset+resetText, wrong) {
			t.Errorf("the answers say %q of a server with an Authorization header", wrong)
		}
	}
	if gateWritten(home, name54710) {
		t.Error("Claude Code's part is not applied now")
	}
	if status := resetStatusOf(m, rs.ID); status != "waiting" {
		t.Errorf("reset_status while Desktop runs: %s", status)
	}
	if got := decodeView(t, itemRows(t, dir))[origin]; !maps.Equal(got, desktopItems54710) {
		t.Fatal("the database changed while Desktop held it")
	}

	// The user quits Claude Desktop; the worker applies the rest.
	closeChromium(t, desktop)
	for deadline := time.Now().Add(60 * time.Second); resetStatusOf(m, rs.ID) != "applied"; time.Sleep(500 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("not applied within 60 s of Desktop quitting")
		}
	}
	waitWorkerGone(t, isolatedEnv(home))

	// Claude Desktop starts again: the real engine reads every other item.
	want := maps.Clone(desktopItems54710)
	for _, k := range ownItems54710 {
		delete(want, k)
	}
	br, session := chromiumSession(t, userData, port)
	page, _ := readStorage(t, br, session)
	closeChromium(t, br)
	if !maps.Equal(page, want) {
		t.Errorf("Chromium after the reset sees %v, want %v", page, want)
	}
	noCorruption(t, dir)

	// Real sessions of both versions connect under the same name ("pending"
	// under load: the init line came before the answer, but it dialled — a
	// skipped server is "needs-auth").
	for _, claude := range []string{bundled, terminal} {
		ver, _ := installedVersion(claude)
		if st := sessionWith(t, sessionEnv, claude, proj); st[name54710] != "connected" && st[name54710] != "pending" {
			t.Errorf("Claude Code %s after the reset: %v", ver, st)
		}
	}
}

// resetStatusOf is one reset's overall status, through reset_status.
func resetStatusOf(m *modelSession, id string) string {
	raw, _ := m.call("reset_status", map[string]any{"id": id}, budgetDiagnoseAll)
	var st struct{ Resets []struct{ Status string } }
	if err := json.Unmarshal([]byte(raw), &st); err != nil || len(st.Resets) != 1 {
		m.t.Fatalf("reset_status %s: %v\n%s", id, err, raw)
	}
	return st.Resets[0].Status
}
