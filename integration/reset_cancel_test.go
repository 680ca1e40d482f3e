//go:build unix

package integration

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// cancelScene is a Claude Code server stuck behind gates A and B, with
// Claude Code busy writing its credentials: .storage-write.lock is held
// and kept fresh, so a reset waits for it.
type cancelScene struct {
	home, needs, creds   string
	needsData, credsData string
}

func newCancelScene(t *testing.T) *cancelScene {
	t.Helper()
	home := t.TempDir()
	cfg := `{"mcpServers":{"srv":{"type":"http","url":"http://127.0.0.1:4131/mcp"}}}`
	os.WriteFile(filepath.Join(home, ".claude.json"), []byte(cfg), 0o600)
	dir := filepath.Join(home, ".claude")
	os.MkdirAll(dir, 0o700)
	now := time.Now().UnixMilli()
	sc := &cancelScene{home: home, needs: filepath.Join(dir, "mcp-needs-auth-cache.json"), creds: filepath.Join(dir, ".credentials.json")}
	sc.needsData = `{"srv":{"timestamp":` + itoa(now) + `}}`
	sc.credsData = `{"mcpOAuth":{"srv|78d8e2894fc42213":{"serverName":"srv","serverUrl":"http://127.0.0.1:4131/mcp","accessToken":"",` +
		`"discoveryState":{"oauthMetadataFound":true,"tokenlessRejectedAt":` + itoa(now) + `}}}}`
	os.WriteFile(sc.needs, []byte(sc.needsData), 0o600)
	os.WriteFile(sc.creds, []byte(sc.credsData), 0o600)
	return sc
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// holdStorageLock holds Claude Code's .storage-write.lock as Claude Code
// does (mkdir, mtime refreshed) until the returned func is called.
func (sc *cancelScene) holdStorageLock(t *testing.T) func() {
	t.Helper()
	lock := filepath.Join(sc.home, ".claude", ".storage-write.lock")
	if err := os.Mkdir(lock, 0o700); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				os.Remove(lock)
				return
			case <-time.After(500 * time.Millisecond):
				now := time.Now()
				os.Chtimes(lock, now, now)
			}
		}
	}()
	var once bool
	release := func() {
		if !once {
			once = true
			close(stop)
			<-done
		}
	}
	t.Cleanup(release)
	return release
}

// assertUntouched checks that both stores hold their bytes from before.
func (sc *cancelScene) assertUntouched(t *testing.T, when string) {
	t.Helper()
	if b, _ := os.ReadFile(sc.needs); string(b) != sc.needsData {
		t.Errorf("%s: needs-auth cache changed: %s", when, b)
	}
	if b, _ := os.ReadFile(sc.creds); string(b) != sc.credsData {
		t.Errorf("%s: credentials changed: %s", when, b)
	}
}

// assertNothingResumes runs the commands that replay the journal and checks
// a cancelled reset stays cancelled and changes nothing.
func (sc *cancelScene) assertNothingResumes(t *testing.T) {
	t.Helper()
	for _, args := range [][]string{{"list"}, {"apply-pending", "--once"}, {"status"}} {
		out, stderr, code := runCLI(t, sc.home, args...)
		if code != 0 {
			t.Fatalf("mcpmend %v: %d %s", args, code, stderr)
		}
		if args[0] == "status" && !strings.Contains(out, "cancelled") {
			t.Errorf("status does not show the reset as cancelled:\n%s", out)
		}
	}
	sc.assertUntouched(t, "after list and apply-pending")
}

// TestResetCancelledBySignal: SIGINT, SIGTERM or SIGHUP while a reset waits
// for Claude Code's lock ends it as "cancelled" with the signal's exit code,
// changes no store, leaves no lock of mcpmend's behind, and nothing resumes it.
func TestResetCancelledBySignal(t *testing.T) {
	for _, tt := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGINT, 130}, {syscall.SIGHUP, 129}, {syscall.SIGTERM, 143}} {
		t.Run(tt.sig.String(), func(t *testing.T) {
			sc := newCancelScene(t)
			release := sc.holdStorageLock(t)
			cmd := exec.Command(binary, "reset", "srv")
			cmd.Env = homeEnv(sc.home)
			var stdout, stderr lockedBuffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			waitForEntry(t, sc.home)
			time.Sleep(300 * time.Millisecond)
			cmd.Process.Signal(tt.sig)
			done := make(chan struct{})
			go func() { cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("%v did not stop the reset", tt.sig)
			}
			if code := cmd.ProcessState.ExitCode(); code != tt.code {
				t.Errorf("exit %d, want %d; stderr %s", code, tt.code, stderr.String())
			}
			if !strings.Contains(stdout.String(), "CANCELLED") {
				t.Errorf("the answer does not say cancelled:\n%s\n%s", stdout.String(), stderr.String())
			}
			release()
			sc.assertUntouched(t, "after the signal")
			sc.assertNothingResumes(t)
		})
	}
}

// waitForEntry waits until a reset has been recorded in home's journal.
func waitForEntry(t *testing.T, home string) {
	t.Helper()
	jdir := filepath.Join(home, ".local", "state", "mcpmend", "journal")
	waitFor(t, func() bool {
		des, _ := os.ReadDir(jdir)
		return len(des) > 0
	})
}

// TestResetCancelledByMCPClient: a client cancelling reset_server_auth
// mid-way leaves every store as it was and a journal entry marked
// cancelled that no later command resumes.
func TestResetCancelledByMCPClient(t *testing.T) {
	sc := newCancelScene(t)
	release := sc.holdStorageLock(t)
	cs := connect(t, sc.home)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "reset_server_auth", Arguments: map[string]any{"name": "srv"}})
		errc <- err
	}()
	waitForEntry(t, sc.home)
	time.Sleep(300 * time.Millisecond)
	cancel()
	if err := <-errc; err == nil {
		t.Fatal("the cancelled call returned no error")
	}
	// The server finishes the cancelled reset on its own: wait for its record.
	waitFor(t, func() bool {
		out, _, _ := runCLI(t, sc.home, "status")
		return strings.Contains(out, "cancelled")
	})
	release()
	sc.assertUntouched(t, "after the client cancelled")
	sc.assertNothingResumes(t)
}
