package probe

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcpmend/mcpmend/registry"
)

// snapshot is every name, mode, size and content hash under dir: a probe
// must leave it byte-identical.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		sum := ""
		if info.Mode().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			h := sha256.Sum256(data)
			sum = hex.EncodeToString(h[:])
		}
		fmt.Fprintf(&b, "%s %s %d %s %d\n", p, info.Mode(), info.Size(), sum, info.ModTime().UnixNano())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// mcpRemoteEntry is a Claude Code entry running mcp-remote for url. npx
// need not exist: the probe never starts it.
func mcpRemoteEntry(url string, extra ...string) registry.Server {
	args := append([]string{"-y", "mcp-remote", url}, extra...)
	s := registry.Server{Name: "bridge", Client: registry.ClaudeCode, Scope: "user", Transport: registry.Stdio, Command: "npx", Args: registry.RedactArgs(args)}
	for _, a := range args {
		s.Raw.Args = append(s.Raw.Args, registry.Secret(a))
	}
	return s
}

// TestMCPRemoteDialledNotStarted: a 401+OAuth remote behind mcp-remote with
// an empty ~/.mcp-auth needs a sign-in — said so, nothing written; with a
// stored token the remote is dialled with it.
func TestMCPRemoteDialledNotStarted(t *testing.T) {
	as := oauthServer(t, true)
	protected := protectedMCP(t, as.URL).URL + "/mcp"
	home := t.TempDir()
	os.MkdirAll(filepath.Join(home, ".mcp-auth"), 0o700)
	before := snapshot(t, home)
	opts := quick()
	opts.Environ = append(os.Environ(), "HOME="+home)
	r := Probe(context.Background(), mcpRemoteEntry(protected), opts)
	checkResult(t, r, AuthRequired)
	if r.Bridge == nil || r.Bridge.Kind != "mcp-remote" || r.Bridge.Token != "none" || !strings.Contains(r.Summary, "needs OAuth sign-in") {
		t.Fatalf("bridge %+v, summary %q", r.Bridge, r.Summary)
	}
	if r.Auth == nil || r.Auth.OAuth == nil || !r.Auth.OAuth.Found {
		t.Errorf("auth evidence = %+v", r.Auth)
	}
	if after := snapshot(t, home); after != before {
		t.Errorf("the probe changed the home:\nbefore\n%s\nafter\n%s", before, after)
	}

	// A token mcp-remote stored under md5(url) is sent as mcp-remote sends it.
	good := serve(t, requireBearer(canary, streamableHandler())).URL + "/mcp"
	sum := md5.Sum([]byte(good))
	dir := filepath.Join(home, ".mcp-auth", "mcp-remote-0.1.37")
	os.MkdirAll(dir, 0o700)
	os.WriteFile(filepath.Join(dir, hex.EncodeToString(sum[:])+"_tokens.json"), []byte(`{"access_token":"`+canary+`","token_type":"Bearer"}`), 0o600)
	before = snapshot(t, home)
	r = Probe(context.Background(), mcpRemoteEntry(good), opts)
	checkResult(t, r, OK)
	if r.Bridge.Token != "sent" || !strings.HasSuffix(r.Bridge.TokenFile, "_tokens.json") {
		t.Errorf("bridge = %+v", r.Bridge)
	}
	if after := snapshot(t, home); after != before {
		t.Errorf("the probe changed the home")
	}

	// A refused token is "token rejected", and an unreachable remote is unreachable.
	os.WriteFile(filepath.Join(dir, hex.EncodeToString(md5sum(protected))+"_tokens.json"), []byte(`{"access_token":"`+canary+`x"}`), 0o600)
	r = Probe(context.Background(), mcpRemoteEntry(protected), opts)
	checkResult(t, r, AuthRejected)
	if !strings.Contains(r.Summary, "token rejected") {
		t.Errorf("summary = %q", r.Summary)
	}
	r = Probe(context.Background(), mcpRemoteEntry("http://"+closedPort(t)+"/mcp"), opts)
	checkResult(t, r, Unreachable)
}

func md5sum(s string) []byte {
	h := md5.Sum([]byte(s))
	return h[:]
}

// TestEveryKindLeavesHomeUnchanged: a probe of every kind — stdio (healthy,
// noisy, crashing), streamable HTTP, SSE, WebSocket, a headersHelper, a
// 401 with OAuth discovery, and an mcp-remote bridge — run with HOME in a
// fresh directory holding a client's files, leaves that home byte-identical.
func TestEveryKindLeavesHomeUnchanged(t *testing.T) {
	home := t.TempDir()
	os.MkdirAll(filepath.Join(home, ".mcp-auth", "mcp-remote-0.1.37"), 0o700)
	os.WriteFile(filepath.Join(home, ".claude.json"), []byte(`{"mcpServers":{}}`), 0o600)
	os.MkdirAll(filepath.Join(home, ".claude"), 0o700)
	http := serve(t, streamableHandler()).URL
	protected := protectedMCP(t, oauthServer(t, true).URL).URL + "/mcp"
	helped := remoteServer("helped", registry.HTTP, serve(t, requireBearer(canary, streamableHandler())).URL)
	helped.HeadersHelper, helped.Raw.HeadersHelper = true, registry.Secret(`printf '{"Authorization":"Bearer `+canary+`"}'`)
	servers := []struct {
		s    registry.Server
		want Verdict
	}{
		{stdioServer(t, "healthy"), OK},
		{stdioServer(t, "noisy"), OK},
		{stdioServer(t, "crash"), Crashed},
		{remoteServer("http", registry.HTTP, http), OK},
		{remoteServer("sse", registry.SSE, serve(t, sseHandler()).URL), OK},
		{remoteServer("ws", registry.WS, "ws"+strings.TrimPrefix(serve(t, wsHandler()).URL, "http")), OK},
		{helped, OK},
		{remoteServer("oauth", registry.HTTP, protected), AuthRequired},
		{mcpRemoteEntry(protected), AuthRequired},
	}
	before := snapshot(t, home)
	opts := quick()
	opts.Timeout = 15 * time.Second
	opts.Environ = append(os.Environ(), "HOME="+home)
	for _, tc := range servers {
		r := Probe(context.Background(), tc.s, opts)
		checkResult(t, r, tc.want)
		if after := snapshot(t, home); after != before {
			t.Fatalf("probing %s changed the home:\nbefore\n%s\nafter\n%s", tc.s.Name, before, after)
		}
	}
}
