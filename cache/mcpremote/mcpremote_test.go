package mcpremote

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcpmend/mcpmend/cache/internal/storetest"
	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/internal/testfs"
	"github.com/mcpmend/mcpmend/registry"
)

type mcpRemoteGolden struct {
	Version string `json:"mcp-remote"`
	Cases   []struct {
		Args  []string `json:"args"`
		Hash  string   `json:"hash"`
		Error string   `json:"error"`
	} `json:"cases"`
}

func loadGolden(t *testing.T, data []byte) mcpRemoteGolden {
	t.Helper()
	var g mcpRemoteGolden
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatalf("golden: %v", err)
	}
	if len(g.Cases) == 0 {
		t.Fatal("golden has no cases")
	}
	return g
}

// TestMCPRemoteHashGolden checks the hash against testdata/mcpremote/golden.json,
// which gen.mjs made by calling the real mcp-remote's parseCommandLineArgs.
func TestMCPRemoteHashGolden(t *testing.T) {
	data, err := os.ReadFile("testdata/mcpremote/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	g := loadGolden(t, data)
	for _, c := range g.Cases {
		got := Parse(c.Args, os.ReadFile)
		if c.Error != "" {
			if got.Problem == "" {
				t.Errorf("%q: mcp-remote refuses (%s) but no problem was reported", c.Args, c.Error)
			}
			continue
		}
		if got.Hash != c.Hash {
			t.Errorf("%q: hash %s, mcp-remote %s says %s", c.Args, got.Hash, g.Version, c.Hash)
		}
	}
}

// TestMCPRemoteGoldenIsCurrent reruns gen.mjs against the installed
// mcp-remote, so a new release that hashes differently fails here.
func TestMCPRemoteGoldenIsCurrent(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	if _, err := os.Stat("../integration/node_modules/mcp-remote/package.json"); err != nil {
		t.Skip("mcp-remote is not installed: run `cd integration && npm ci`")
	}
	cmd := exec.Command(node, "testdata/mcpremote/gen.mjs")
	cmd.Env = append(os.Environ(), "MCP_REMOTE_CONFIG_DIR="+t.TempDir())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("gen.mjs: %v\n%s", err, stderr.String())
	}
	live := loadGolden(t, out)
	committed, _ := os.ReadFile("testdata/mcpremote/golden.json")
	if !bytes.Equal(bytes.TrimSpace(out), bytes.TrimSpace(committed)) {
		t.Errorf("golden.json is stale for mcp-remote %s: regenerate it (see gen.mjs)", live.Version)
	}
}

func TestMCPRemoteArgs(t *testing.T) {
	tests := []struct {
		command string
		args    []string
		want    string // first mcp-remote argument, "" when not mcp-remote
	}{
		{"npx", []string{"-y", "mcp-remote", "https://a/mcp"}, "https://a/mcp"},
		{"npx", []string{"mcp-remote@0.1.18", "https://a/mcp", "--header", "A:b"}, "https://a/mcp"},
		{"mcp-remote", []string{"https://a/mcp"}, "https://a/mcp"},
		{"/usr/local/bin/mcp-remote", []string{"https://a/mcp"}, "https://a/mcp"},
		{"node", []string{"/x/node_modules/mcp-remote/dist/proxy.js", "https://a/mcp"}, "https://a/mcp"},
		{"cmd", []string{"/c", "npx", "-y", "mcp-remote", "https://a/mcp"}, "https://a/mcp"},
		{`C:\nodejs\npx.cmd`, []string{"-y", `C:\x\mcp-remote.cmd`, "https://a/mcp"}, "https://a/mcp"},
		{"npx", []string{"-p", "mcp-remote", "mcp-remote", "https://a/mcp"}, "https://a/mcp"},
		{"npx", []string{"mcp-remote-client", "https://a/mcp"}, ""},
		{"npx", []string{"-y", "@modelcontextprotocol/server-everything"}, ""},
	}
	for _, tt := range tests {
		got, ok := Args(tt.command, tt.args)
		first := ""
		if ok && len(got) > 0 {
			first = got[0]
		}
		if first != tt.want {
			t.Errorf("%s %q: mcp-remote args %q, want first %q", tt.command, tt.args, got, tt.want)
		}
	}
}

func stdioServer(client, name, command string, args ...string) registry.Server {
	s := registry.Server{Name: name, Client: client, Scope: "user", Transport: registry.Stdio, Command: command}
	for _, a := range args {
		s.Raw.Args = append(s.Raw.Args, registry.Secret(a))
	}
	return s
}

func TestMCPRemoteInspect(t *testing.T) {
	home := t.TempDir()
	env := storetest.Env(home)
	srv := stdioServer(registry.ClaudeDesktop, "remote", "npx", "-y", "mcp-remote", "https://a.example/mcp", "--header", "Authorization: Bearer CANARY-hdr")
	cfg := Parse([]string{"https://a.example/mcp", "--header", "Authorization: Bearer CANARY-hdr"}, nil)
	other := Parse([]string{"https://b.example/mcp"}, nil)
	v1 := filepath.Join(home, ".mcp-auth", "mcp-remote-v1")
	old := filepath.Join(home, ".mcp-auth", "mcp-remote-0.1.18")
	exp := storetest.Now.Add(time.Hour).UnixMilli()
	testfs.WriteFile(t, filepath.Join(v1, cfg.Hash+"_tokens.json"), fmt.Sprintf(`{"access_token":"CANARY-at","refresh_token":"CANARY-rt","expires_at":%d}`, exp))
	testfs.WriteFile(t, filepath.Join(v1, cfg.Hash+"_client_info.json"), `{"client_id":"x"}`)
	testfs.WriteFile(t, filepath.Join(v1, cfg.Hash+"_code_verifier_abc.txt"), `CANARY-v`)
	testfs.WriteFile(t, filepath.Join(v1, other.Hash+"_tokens.json"), `{"access_token":"CANARY-other"}`)
	testfs.WriteFile(t, filepath.Join(old, cfg.LegacyHash+"_tokens.json"), `{"access_token":"CANARY-old","expires_at":1000}`)
	testfs.WriteFile(t, filepath.Join(old, other.LegacyHash+"_tokens.json"), `{"access_token":"CANARY-old-other"}`)

	recs, err := Store{}.Inspect(context.Background(), env, srv, storetest.Now)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]store.Record{}
	for _, r := range recs {
		got[r.Key] = r
		if strings.Contains(r.Detail, "CANARY") {
			t.Errorf("secret in %+v", r)
		}
	}
	if len(recs) != 4 {
		t.Fatalf("records %+v, want this server's 4 files only", recs)
	}
	if r := got[cfg.Hash+"_tokens.json"]; r.Kind != KindTokens || !r.Active || r.Until == nil || r.Until.UnixMilli() != exp || !strings.Contains(r.Detail, "refresh token") {
		t.Errorf("tokens record %+v", r)
	}
	if r := got[cfg.Hash+"_client_info.json"]; r.Kind != KindClient {
		t.Errorf("client record %+v", r)
	}
	if r := got[cfg.Hash+"_code_verifier_abc.txt"]; r.Kind != KindFlow {
		t.Errorf("flow record %+v", r)
	}
	if r := got[cfg.LegacyHash+"_tokens.json"]; r.Kind != KindTokens || r.Active || r.File != filepath.Join(old, cfg.LegacyHash+"_tokens.json") {
		t.Errorf("legacy-layout record %+v (expired, no refresh token: inactive)", r)
	}

	// $MCP_REMOTE_CONFIG_DIR moves the root; a damaged tokens file is reported.
	alt := filepath.Join(home, "alt")
	testfs.WriteFile(t, filepath.Join(alt, "mcp-remote-v1", cfg.Hash+"_tokens.json"), `{"access_token":"CANARY-trunc`)
	recs, err = Store{}.Inspect(context.Background(), storetest.Env(home, "MCP_REMOTE_CONFIG_DIR", alt), srv, storetest.Now)
	var de *store.DamagedError
	if !errors.As(err, &de) || len(recs) != 1 || !strings.HasPrefix(de.File, alt) {
		t.Fatalf("damaged tokens: recs %+v err %v", recs, err)
	}
	if strings.Contains(err.Error(), "CANARY") {
		t.Errorf("damage quotes the file: %v", err)
	}

	// Not an mcp-remote server: nothing.
	if recs, err := (Store{}).Inspect(context.Background(), env, stdioServer(registry.ClaudeDesktop, "x", "node", "srv.js"), storetest.Now); recs != nil || err != nil {
		t.Errorf("plain stdio server: %+v %v", recs, err)
	}
}
