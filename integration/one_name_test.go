//go:build unix

package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcpmend/mcpmend/cache/store"
)

// resetStatus is the part of `mcpmend status ID --json` the test reads.
type resetStatus struct {
	Resets []struct {
		Status string
		Steps  []struct{ Store, Status, Reason string }
	}
}

func statusOf(t *testing.T, home, id string) resetStatus {
	t.Helper()
	out, errOut, code := runCLI(t, home, "--home", home, "status", id, "--json")
	if code != 0 {
		t.Fatalf("status %s: %s", id, errOut)
	}
	var st resetStatus
	if err := json.Unmarshal([]byte(out), &st); err != nil || len(st.Resets) != 1 {
		t.Fatalf("status %s --json: %v\n%s", id, err, out)
	}
	return st
}

// TestOneNameResetWaitsForDesktop is issue 54710's shape: a header server
// in ~/.claude.json that Claude Code remembers as needing authentication,
// and Claude Desktop — running, as real Chromium holding its Local Storage —
// with items keyed by the same name (its Code chat uses that name too).
// `mcpmend reset NAME` for the Claude Code server clears Claude Code's
// record now, schedules Desktop's part and says to quit Desktop; status
// shows it waiting; Desktop quits and the detached worker applies it.
func TestOneNameResetWaitsForDesktop(t *testing.T) {
	needChromium(t)
	home, userData, dir := desktopHome(t)
	killWorkerAtEnd(t, home)
	cfg := `{"mcpServers":{"github":{"type":"http","url":"http://127.0.0.1:9/mcp","headers":{"Authorization":"Bearer ` + desktopCanary + `"}}}}`
	if err := os.WriteFile(filepath.Join(home, ".claude.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(home, ".claude"), 0o700); err != nil {
		t.Fatal(err)
	}
	gateA := fmt.Sprintf(`{"github":{"timestamp":%d}}`, time.Now().UnixMilli())
	if err := os.WriteFile(needsAuthPath(home), []byte(gateA), 0o600); err != nil {
		t.Fatal(err)
	}
	orig := itemRows(t, dir)
	_, _, port := origins(t, decodeView(t, orig))
	storagePages(t, port)

	// Before: the Claude Code server's state shows both memories.
	out, errOut, code := runCLI(t, home, "--home", home, "state", "github", "--client", "claude-code", "--json")
	if code != 0 {
		t.Fatalf("state: %s", errOut)
	}
	noSecrets(t, "state", out, errOut)
	if !strings.Contains(out, store.NeedsAuth) || !strings.Contains(out, store.Desktop) {
		t.Fatalf("state of the Claude Code github misses a memory:\n%s", out)
	}

	// Claude Desktop runs.
	b, _ := chromiumSession(t, userData, port)
	waitLockHeld(t, dir, b.Pid())

	out, errOut, code = runCLI(t, home, "--home", home, "reset", "github", "--client", "claude-code", "--json")
	if code != 0 {
		t.Fatalf("reset: %d %s %s", code, out, errOut)
	}
	noSecrets(t, "reset", out, errOut)
	var rs struct {
		Outcome, ID string
		Steps       []struct{ Store, Status string }
		PickUp      []string `json:"pick_up"`
	}
	if err := json.Unmarshal([]byte(out), &rs); err != nil {
		t.Fatal(err)
	}
	steps := map[string]string{}
	for _, s := range rs.Steps {
		steps[s.Store] = s.Status
	}
	if rs.Outcome != "waiting" || steps[store.NeedsAuth] != "applied" || steps[store.Desktop] != "waiting" {
		t.Fatalf("reset while Desktop runs: %s", out)
	}
	want := "Quit Claude Desktop (⌘Q on macOS, File → Exit on Windows); the reset applies as it exits; relaunch and github is dialled again under the same name."
	if !strings.Contains(strings.Join(rs.PickUp, "\n"), want) {
		t.Errorf("the answer does not say plainly what to do: %q", rs.PickUp)
	}
	if data, _ := os.ReadFile(needsAuthPath(home)); strings.Contains(string(data), "github") {
		t.Errorf("Claude Code's part is not applied now: %s", data)
	}
	if st := statusOf(t, home, rs.ID); st.Resets[0].Status != "waiting" {
		t.Errorf("status while Desktop runs: %+v", st)
	}

	// The user quits Claude Desktop; the worker applies the rest.
	closeChromium(t, b)
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if st := statusOf(t, home, rs.ID); st.Resets[0].Status == "applied" {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("not applied within 60 s of Desktop quitting: %+v", st)
		}
	}
	for k := range itemRows(t, dir) {
		if strings.Contains(k, "mcp:github:") || strings.Contains(k, "mcp-auth-github\x00") {
			t.Errorf("github's item %q is still there", k)
		}
	}
	if len(itemRows(t, dir)) >= len(orig) {
		t.Error("no item was deleted")
	}
}
