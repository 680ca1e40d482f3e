package integration

import (
	"encoding/json"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcpmend/mcpmend/cache/mcpremote"
	"github.com/mcpmend/mcpmend/internal/crashpoint"
)

// startMCPRemote runs the real mcp-remote for s (with extra args) until it
// has registered a client with s (one more *_client_info.json appears in
// dir: callers make sure s has none yet), then stops it — closing stdin, as a client quitting does.
func startMCPRemote(t *testing.T, mr, home, dir string, s *oauthServer, args ...string) {
	t.Helper()
	before, _ := filepath.Glob(filepath.Join(dir, "*_client_info.json"))
	cmd := exec.Command(mr, append([]string{s.MCPURL}, args...)...)
	cmd.Env = append(homeEnv(home), "BROWSER=true") // no browser opens; the sign-in just waits
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = &prefixWriter{t: t, prefix: "mcp-remote " + s.Name}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stop := func() { stdin.Close(); _ = cmd.Process.Kill(); _ = cmd.Wait() }
	defer stop()
	deadline := time.Now().Add(30 * time.Second)
	for {
		now, _ := filepath.Glob(filepath.Join(dir, "*_client_info.json"))
		if len(now) > len(before) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("mcp-remote did not register with %s in 30 s", s.Name)
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // let it finish writing the sign-in files
}

// registered counts the dynamic client registrations s received.
func registered(s *oauthServer) int {
	n := 0
	for _, r := range s.Requests() {
		if r.Path == "/register" && r.Method == "POST" {
			n++
		}
	}
	return n
}

// readDir maps every file in dir to its content.
func readDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range ents {
		f, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(f)
		f.Close()
		out[e.Name()] = string(b)
	}
	return out
}

// TestResetMCPRemoteLive: the real mcp-remote registers with two loopback
// OAuth servers; `mcpmend reset remote-a` removes exactly remote-a's files
// (registration and sign-in state), leaves remote-b's byte for byte, undo
// brings remote-a's back byte for byte, and after a second reset the next
// mcp-remote start registers afresh under the same name.
func TestResetMCPRemoteLive(t *testing.T) {
	mr := npmBin(t, "mcp-remote")
	home := t.TempDir()
	a := startOAuthServer(t, "remote-a", true)
	b := startOAuthServer(t, "remote-b", true)
	cfg := map[string]any{"mcpServers": map[string]any{
		"remote-a": map[string]any{"command": mr, "args": []string{a.MCPURL}},
		"remote-b": map[string]any{"command": mr, "args": []string{b.MCPURL, "--header", "X-Test: CANARY-mr-header"}},
	}}
	js, _ := json.Marshal(cfg)
	if err := os.WriteFile(filepath.Join(home, ".claude.json"), js, 0o600); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(home, ".mcp-auth", "mcp-remote-v1")
	startMCPRemote(t, mr, home, dir, a)
	startMCPRemote(t, mr, home, dir, b, "--header", "X-Test: CANARY-mr-header")
	before := readDir(t, dir)
	hashes := map[string]bool{}
	for name := range before {
		h, _, _ := strings.Cut(name, "_")
		hashes[h] = true
	}
	if len(hashes) != 2 {
		t.Fatalf("mcp-remote wrote files under %d hashes: %v", len(hashes), before)
	}

	r := resetCLI(t, home, "remote-a")
	if r.Outcome != "applied" || len(r.Changes) == 0 || r.ID == "" {
		t.Fatalf("reset remote-a: %+v", r)
	}
	hashA, _, _ := strings.Cut(filepath.Base(r.Changes[0].File), "_")
	var removed []string
	for _, c := range r.Changes {
		removed = append(removed, c.Key)
	}
	t.Logf("reset remote-a removed %v", removed)
	after := readDir(t, dir)
	for name, content := range before {
		mine := strings.HasPrefix(name, hashA+"_")
		got, ok := after[name]
		switch {
		case !mine && (!ok || got != content):
			t.Errorf("remote-b's %s changed or vanished", name)
		case mine && ok && !strings.Contains(name, "refresh_in_progress"):
			t.Errorf("remote-a's %s is still there", name)
		}
	}
	if len(r.PickUp) == 0 || !strings.Contains(strings.Join(r.PickUp, " "), "mcp-remote") {
		t.Errorf("no pick-up advice for mcp-remote: %v", r.PickUp)
	}

	if out, errOut, code := runCLI(t, home, "undo", r.ID); code != 0 {
		t.Fatalf("mcpmend undo: %d %s %s", code, out, errOut)
	}
	if got := readDir(t, dir); !maps.Equal(got, before) {
		t.Fatalf("after undo:\n%v\nwant\n%v", got, before)
	}

	// Reset again; mcp-remote then registers afresh under the same name.
	if r = resetCLI(t, home, "remote-a"); r.Outcome != "applied" {
		t.Fatalf("second reset: %+v", r)
	}
	regs := registered(a)
	startMCPRemote(t, mr, home, dir, a)
	if registered(a) != regs+1 {
		t.Errorf("mcp-remote registered %d more times after the reset, want 1", registered(a)-regs)
	}
	for name, content := range readDir(t, dir) {
		if strings.HasPrefix(name, hashA+"_client_info") && content == before[name] {
			t.Errorf("%s is the old registration", name)
		}
	}
	for _, s := range []string{"status", "status " + r.ID} {
		if out, _, _ := runCLI(t, home, strings.Fields(s)...); strings.Contains(out, "CANARY") {
			t.Errorf("mcpmend %s leaks a header value:\n%s", s, out)
		}
	}
}

// TestResetMCPRemoteCrash kills `mcpmend reset` with SIGKILL between two
// file deletions and after the last one; the next command that replays the
// journal (here `mcpmend apply-pending`) restores the half-deleted files byte for byte in the
// first case and records the finished reset in the second.
func TestResetMCPRemoteCrash(t *testing.T) {
	for _, tc := range []struct{ point, want string }{
		{"file-delete-midway", "failed"},
		{"journal-after-apply", "applied"},
	} {
		t.Run(tc.point, func(t *testing.T) {
			home := t.TempDir()
			url := "https://r.example/mcp"
			cfg := `{"mcpServers":{"r":{"command":"npx","args":["-y","mcp-remote","` + url + `"]}}}`
			if err := os.WriteFile(filepath.Join(home, ".claude.json"), []byte(cfg), 0o600); err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(home, ".mcp-auth", "mcp-remote-v1")
			os.MkdirAll(dir, 0o700)
			hash := mcpremote.Parse([]string{url}, nil).Hash
			for _, name := range []string{"_client_info.json", "_code_verifier_s.txt", "_discovery_state_s.json"} {
				os.WriteFile(filepath.Join(dir, hash+name), []byte(`{"file":"`+name+`"}`), 0o600)
			}
			before := readDir(t, dir)
			cmd := exec.Command(binary, "reset", "r")
			cmd.Env = append(homeEnv(home), crashpoint.EnvVar+"="+tc.point)
			err := cmd.Run()
			if !crashpoint.Killed(err) {
				t.Fatalf("mcpmend reset was not killed at %s: %v", tc.point, err)
			}
			if n := len(readDir(t, dir)); n == len(before) {
				t.Fatalf("killed at %s with nothing deleted", tc.point)
			}
			if _, errOut, code := runCLI(t, home, "apply-pending", "--once"); code != 0 {
				t.Fatalf("mcpmend apply-pending: %s", errOut)
			}
			out, errOut, code := runCLI(t, home, "status", "--json")
			if code != 0 {
				t.Fatalf("mcpmend status: %s", errOut)
			}
			var st struct{ Resets []struct{ Status string } }
			if err := json.Unmarshal([]byte(out), &st); err != nil || len(st.Resets) != 1 || st.Resets[0].Status != tc.want {
				t.Fatalf("after the next start: %s (%v)", out, err)
			}
			got := readDir(t, dir)
			if tc.want == "failed" && !maps.Equal(got, before) {
				t.Fatalf("half-deleted files not restored: %v", got)
			}
			if tc.want == "applied" && len(got) != 0 {
				t.Fatalf("after a finished reset files remain: %v", got)
			}
		})
	}
}
