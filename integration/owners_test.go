//go:build unix

package integration

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/mcpmend/mcpmend/cache/mcpremote"
)

const userUID, userGID = 4242, 4243

// userHome is a home owned by uid 4242 (every file and directory in it)
// with a Claude Code server stuck behind gates A and B and an mcp-remote
// server with a registration, as a user's own programs left them.
type userHome struct {
	home, creds, needs, clientInfo string
	credsData, needsData           string
}

func newUserHome(t *testing.T) *userHome {
	t.Helper()
	sc := newCancelScene(t) // srv behind gates A and B
	u := &userHome{home: sc.home, creds: sc.creds, needs: sc.needs, credsData: sc.credsData, needsData: sc.needsData}
	mrURL := "http://127.0.0.1:4999/mcp"
	mrArgs := []string{"-y", "mcp-remote", mrURL}
	cfg := map[string]any{"mcpServers": map[string]any{
		"srv": map[string]any{"type": "http", "url": "http://127.0.0.1:4131/mcp"},
		"mr":  map[string]any{"command": "npx", "args": mrArgs}}}
	b, _ := json.Marshal(cfg)
	os.WriteFile(filepath.Join(u.home, ".claude.json"), b, 0o600)
	a, _ := mcpremote.Args("npx", mrArgs)
	dir := filepath.Join(u.home, ".mcp-auth", "mcp-remote-0.1.37")
	os.MkdirAll(dir, 0o700)
	u.clientInfo = filepath.Join(dir, mcpremote.Parse(a, nil).Hash+"_client_info.json")
	os.WriteFile(u.clientInfo, []byte(`{"client_id":"CANARY-client"}`), 0o600)
	if err := chownTree(u.home, userUID, userGID); err != nil {
		t.Fatal(err)
	}
	return u
}

func chownTree(root string, uid, gid int) error {
	return filepath.WalkDir(root, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
}

// notTheUsers lists everything under root not owned by the user.
func notTheUsers(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(root, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return nil
		}
		if st := fi.Sys().(*syscall.Stat_t); st.Uid != userUID || st.Gid != userGID {
			rel, _ := filepath.Rel(root, p)
			out = append(out, rel+" "+itoa(int64(st.Uid))+":"+itoa(int64(st.Gid)))
		}
		return nil
	})
	return out
}

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: the test runs mcpmend as root on a home another uid owns")
	}
}

// TestRootOnUserHomeRefusedWithoutAsOwner: `sudo mcpmend reset` (HOME is
// the user's) or `mcpmend --home DIR` as root on a home another user owns is
// refused with the home, its owner and --as-owner named, and nothing in the
// home changes — not even a state directory is created. Undo, apply-pending,
// prune and install refuse alike.
func TestRootOnUserHomeRefusedWithoutAsOwner(t *testing.T) {
	needRoot(t)
	u := newUserHome(t)
	rootHome := t.TempDir()
	refused := func(what string, out, stderr string, code int) {
		t.Helper()
		if code != 1 || !strings.Contains(stderr, u.home) || !strings.Contains(stderr, "uid 4242") || !strings.Contains(stderr, "--as-owner") {
			t.Errorf("%s: exit %d, want 1 and an error naming %s, uid 4242 and --as-owner:\n%s%s", what, code, u.home, out, stderr)
		}
	}
	before := treeHashes(t, u.home, "")
	out, stderr, code := runCLI(t, u.home, "reset", "srv", "--client", "claude-code")
	refused("sudo reset", out, stderr, code)
	out, stderr, code = runCLI(t, rootHome, "--home", u.home, "reset", "srv", "--client", "claude-code")
	refused("reset --home", out, stderr, code)
	out, stderr, code = runCLI(t, u.home, "install", "--client", "claude-code")
	refused("install", out, stderr, code)
	assertSameTree(t, "after the refused reset and install", before, treeHashes(t, u.home, ""))
	if _, err := os.Stat(filepath.Join(u.home, ".local")); err == nil {
		t.Error("a refused command created mcpmend's state directory in the user's home")
	}
	if out, stderr, code := runCLI(t, u.home, "reset", "srv", "--client", "claude-code", "--dry-run"); code != 0 {
		t.Errorf("a dry run reads only and is allowed: %d\n%s%s", code, out, stderr)
	}

	r := resetCLI(t, u.home, "srv", "--as-owner")
	applied := treeHashes(t, u.home, "")
	out, stderr, code = runCLI(t, u.home, "undo", r.ID)
	refused("undo", out, stderr, code)
	out, stderr, code = runCLI(t, u.home, "apply-pending", "--once")
	refused("apply-pending", out, stderr, code)
	out, stderr, code = runCLI(t, u.home, "prune")
	refused("prune", out, stderr, code)
	assertSameTree(t, "after the refused undo and apply-pending", applied, treeHashes(t, u.home, ""))
}

// TestRootOnUserHomeKeepsOwnership: with --as-owner, root's reset and undo
// leave every file and directory in the user's home theirs — the rewritten
// .credentials.json and needs-auth cache, the restored mcp-remote file, and
// mcpmend's own journal and backups — and undo brings the bytes back.
func TestRootOnUserHomeKeepsOwnership(t *testing.T) {
	needRoot(t)
	u := newUserHome(t)
	for _, name := range []string{"srv", "mr"} {
		r := resetCLI(t, u.home, name, "--as-owner")
		if r.Outcome != "applied" {
			t.Fatalf("reset %s: %+v", name, r)
		}
		if bad := notTheUsers(t, u.home); len(bad) > 0 {
			t.Errorf("after reset %s, not the user's: %v", name, bad)
		}
		if out, stderr, code := runCLI(t, u.home, "undo", r.ID, "--as-owner"); code != 0 {
			t.Fatalf("undo %s: %d\n%s%s", name, code, out, stderr)
		}
		if bad := notTheUsers(t, u.home); len(bad) > 0 {
			t.Errorf("after undo %s, not the user's: %v", name, bad)
		}
	}
	for p, want := range map[string]string{u.creds: u.credsData, u.needs: u.needsData, u.clientInfo: `{"client_id":"CANARY-client"}`} {
		if got := readFile(t, p); got != want {
			t.Errorf("%s after undo: %s, want %s", p, got, want)
		}
	}
}
