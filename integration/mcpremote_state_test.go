package integration

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMCPRemoteFilesLive runs the real mcp-remote against two loopback
// OAuth servers until each has registered a client and started a sign-in,
// then checks that `mcpmend state` finds exactly the files mcp-remote wrote
// for that server (its hash, computed independently) and none of the other's.
func TestMCPRemoteFilesLive(t *testing.T) {
	mr := npmBin(t, "mcp-remote")
	home := t.TempDir()
	a := startOAuthServer(t, "remote-a", true)
	b := startOAuthServer(t, "remote-b", true)
	cfg := map[string]any{"mcpServers": map[string]any{
		"remote-a": map[string]any{"command": mr, "args": []string{a.MCPURL, "--header", "X-Test: CANARY-mr-header"}},
		"remote-b": map[string]any{"command": mr, "args": []string{b.MCPURL}},
	}}
	js, _ := json.Marshal(cfg)
	if err := os.WriteFile(filepath.Join(home, ".claude.json"), js, 0o600); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(home, ".mcp-auth", "mcp-remote-v1")
	for _, s := range []*oauthServer{a, b} {
		args := []string{s.MCPURL}
		if s == a {
			args = append(args, "--header", "X-Test: CANARY-mr-header")
		}
		cmd := exec.Command(mr, args...)
		cmd.Env = append(homeEnv(home), "BROWSER=true") // no browser opens; the sign-in just waits
		stdin, err := cmd.StdinPipe()                   // mcp-remote exits when stdin closes
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = &prefixWriter{t: t, prefix: "mcp-remote " + s.Name}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { stdin.Close(); _ = cmd.Process.Kill(); _ = cmd.Wait() })
	}
	// Both have registered once a client_info file per server exists, and
	// mcp-remote is done writing once the folder stops changing (it writes
	// code_verifier_* and discovery_state_* just after client_info).
	deadline := time.Now().Add(30 * time.Second)
	last := ""
	for {
		m, _ := filepath.Glob(filepath.Join(dir, "*_client_info.json"))
		all, _ := filepath.Glob(filepath.Join(dir, "*"))
		now := strings.Join(all, "\n")
		if len(m) >= 2 && now == last {
			break
		}
		last = now
		if time.Now().After(deadline) {
			ents, _ := os.ReadDir(dir)
			t.Fatalf("mcp-remote wrote no client registrations in 30 s; %s holds %v", dir, ents)
		}
		time.Sleep(500 * time.Millisecond)
	}

	files := map[string][]string{} // hash → files
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if h, _, ok := strings.Cut(e.Name(), "_"); ok {
			files[h] = append(files[h], e.Name())
		}
	}
	found := map[string]string{} // server → hash its records carry
	for _, name := range []string{"remote-a", "remote-b"} {
		out, errOut, code := runCLI(t, home, "state", name, "--json")
		if code != 0 {
			t.Fatalf("mcpmend state %s: %s", name, errOut)
		}
		if strings.Contains(out, "CANARY") {
			t.Errorf("state %s leaks the header value:\n%s", name, out)
		}
		var st struct {
			Stores []struct {
				Store   string
				Records []struct{ Key, Kind, File string }
			}
		}
		if err := json.Unmarshal([]byte(out), &st); err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, s := range st.Stores {
			if s.Store != "mcp-remote" {
				continue
			}
			for _, r := range s.Records {
				keys = append(keys, r.Key)
				h, _, _ := strings.Cut(r.Key, "_")
				if found[name] != "" && found[name] != h {
					t.Errorf("%s: records under two hashes: %v", name, keys)
				}
				found[name] = h
			}
		}
		if found[name] == "" || len(keys) != len(files[found[name]]) {
			t.Errorf("%s: mcpmend reports %v, mcp-remote wrote %v", name, keys, files)
		}
	}
	if found["remote-a"] == found["remote-b"] || len(files) != 2 {
		t.Errorf("hashes %v over files %v: each server must have its own", found, files)
	}
}

// prefixWriter sends a peer's stderr to the test log under its name.
type prefixWriter struct {
	t      testing.TB
	prefix string
}

func (w *prefixWriter) Write(p []byte) (int, error) {
	w.t.Logf("%s: %s", w.prefix, strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
