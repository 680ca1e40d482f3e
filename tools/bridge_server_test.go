package tools

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpmend/mcpmend/cache/credentials"
	"github.com/mcpmend/mcpmend/registry"
)

const tokenCanary = "oauth-access-canary-5e4d3c2b1a"

// authLog records the Authorization header of every request.
type authLog struct {
	mu   sync.Mutex
	seen []string
}

func (a *authLog) gate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.seen = append(a.seen, r.Header.Get("Authorization"))
		a.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

func (a *authLog) all() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.seen...)
}

// oauthHome is a home with one Claude Code http server signed in with
// OAuth: the access token expires at expires.
func oauthHome(t *testing.T, url string, expires time.Time) *Deps {
	t.Helper()
	d := probeHome(t, map[string]any{"oauthsrv": map[string]any{"type": "http", "url": url}}, nil, nil)
	inv := registry.Discover(d.Env)
	var srv registry.Server
	for _, s := range inv.Servers {
		if s.Name == "oauthsrv" {
			srv = s
		}
	}
	if err := os.MkdirAll(filepath.Join(d.Env.Home, ".claude"), 0o700); err != nil {
		t.Fatal(err)
	}
	writeJSONFile(t, credentials.File(d.Env), map[string]any{"mcpOAuth": map[string]any{
		credentials.Key(srv): map[string]any{"serverName": "oauthsrv", "serverUrl": url, "accessToken": tokenCanary,
			"refreshToken": "refresh-canary-0a9b8c7d", "expiresAt": expires.UnixMilli(), "scope": ""},
	}})
	return d
}

// TestBridgeServerExpiredOAuthTokenNoBridge: an expired stored token means
// no bridge, no request to the server, no refresh, and the answer says how
// to sign in; the credential file is unchanged and no token is shown.
func TestBridgeServerExpiredOAuthTokenNoBridge(t *testing.T) {
	log := &authLog{}
	d := oauthHome(t, mcpHTTP(t, log.gate), time.Now().Add(-time.Hour))
	before, _ := os.ReadFile(credentials.File(d.Env))
	cs, _ := session(t, d)
	out, text := callJSON[BridgeServerOutput](t, cs, &mcp.CallToolParams{Name: "bridge_server", Arguments: map[string]any{"name": "oauthsrv"}})
	if out.Status != "not-bridged" || !strings.Contains(out.Verdict, "expired") || !strings.Contains(out.Next, "Authenticate") {
		t.Errorf("expired token: %+v", out)
	}
	if n := len(log.all()); n != 0 {
		t.Errorf("the server was dialled %d time(s) with an expired token", n)
	}
	after, _ := os.ReadFile(credentials.File(d.Env))
	if string(before) != string(after) {
		t.Error("the credential file changed")
	}
	if strings.Contains(text, tokenCanary) || strings.Contains(text, "refresh-canary") {
		t.Error("a token appears in the answer")
	}
}

// TestBridgeServerValidOAuthToken: a valid stored token is sent as Claude
// Code sends it, the tools are mounted and listed, a bridged call reaches
// the server, and stop removes them.
func TestBridgeServerValidOAuthToken(t *testing.T) {
	log := &authLog{}
	d := oauthHome(t, mcpHTTP(t, log.gate), time.Now().Add(time.Hour))
	cs, _ := session(t, d)
	out, text := callJSON[BridgeServerOutput](t, cs, &mcp.CallToolParams{Name: "bridge_server", Arguments: map[string]any{"name": "oauthsrv"}})
	if out.Status != "bridged" || len(out.Tools) != 1 || out.Tools[0].Name != "oauthsrv__hello" || !strings.Contains(out.Next, "permission") {
		t.Fatalf("bridge: %s", text)
	}
	if strings.Contains(text, tokenCanary) {
		t.Error("the token appears in the answer")
	}
	for _, a := range log.all() {
		if a != "Bearer "+tokenCanary {
			t.Errorf("request without the stored token: %q", a)
		}
	}
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "oauthsrv__hello", Arguments: map[string]any{}})
	if err != nil || res.IsError {
		t.Fatalf("bridged call: %v %+v", err, res)
	}
	diag, _ := callJSON[DiagnoseServerOutput](t, cs, &mcp.CallToolParams{Name: "diagnose_server", Arguments: map[string]any{"name": "oauthsrv"}})
	if len(diag.Bridges) != 1 || diag.Bridges[0].Server != "oauthsrv" {
		t.Errorf("diagnosis does not show the active bridge: %+v", diag.Bridges)
	}
	stop, _ := callJSON[BridgeServerOutput](t, cs, &mcp.CallToolParams{Name: "bridge_server", Arguments: map[string]any{"name": "oauthsrv", "stop": true}})
	if stop.Status != "stopped" || len(stop.Active) != 0 {
		t.Errorf("stop: %+v", stop)
	}
}

// TestBridgeOfferByClient: the diagnosis of a healthy server offers the
// bridge to Claude Code 2.1.328 and not to 2.1.119 (which re-fetches tools
// only in its REPL) nor to an unknown client.
func TestBridgeOfferByClient(t *testing.T) {
	d := probeHome(t, map[string]any{"plain": map[string]any{"type": "http", "url": mcpHTTP(t, nil)}}, nil, nil)
	for _, c := range []struct {
		name, version string
		offered       bool
	}{{"claude-code", "2.1.328", true}, {"claude-code", "2.1.119", false}, {"test", "", false}} {
		ct, st := mcp.NewInMemoryTransports()
		if _, err := NewServer(d).Connect(context.Background(), st, nil); err != nil {
			t.Fatal(err)
		}
		cs, err := mcp.NewClient(&mcp.Implementation{Name: c.name, Version: c.version}, nil).Connect(context.Background(), ct, nil)
		if err != nil {
			t.Fatal(err)
		}
		out, text := callJSON[DiagnoseServerOutput](t, cs, &mcp.CallToolParams{Name: "diagnose_server", Arguments: map[string]any{"name": "plain"}})
		cs.Close()
		if out.Bridge == nil || out.Bridge.Offered != c.offered || (c.offered && out.Bridge.Tool != "bridge_server") {
			t.Errorf("%s %s: bridge offer %+v\n%s", c.name, c.version, out.Bridge, text)
		}
	}
}

// TestBridgeServerMCPRemoteDialledDirectly: an mcp-remote entry is
// bridged by dialling its remote with its --header values; the command
// line (which would run mcp-remote) is never run.
func TestBridgeServerMCPRemoteDialledDirectly(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "started")
	log := &headerLog{name: "X-Team-Key"}
	url := mcpHTTP(t, log.gate)
	d := probeHome(t, map[string]any{"remote": map[string]any{"command": "sh",
		"args": []string{"-c", "touch " + marker + "; exit 1", "mcp-remote", url, "--header", "X-Team-Key:team-key-canary-1a2b3c4d"}}}, nil, nil)
	d.Env.CWD = t.TempDir()
	cs, _ := session(t, d)
	out, text := callJSON[BridgeServerOutput](t, cs, &mcp.CallToolParams{Name: "bridge_server", Arguments: map[string]any{"name": "remote"}})
	if out.Status != "bridged" || len(out.Tools) != 1 || out.Tools[0].Name != "remote__hello" {
		t.Fatalf("mcp-remote entry: %s", text)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the mcp-remote command line was run")
	}
	for _, v := range log.all() {
		if v != "team-key-canary-1a2b3c4d" {
			t.Errorf("a request reached the remote without the --header value: %q", v)
		}
	}
	if strings.Contains(text, "team-key-canary") {
		t.Error("the header value appears in the answer")
	}
}

// headerLog records one request header.
type headerLog struct {
	name string
	mu   sync.Mutex
	seen []string
}

func (h *headerLog) gate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.seen = append(h.seen, r.Header.Get(h.name))
		h.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

func (h *headerLog) all() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.seen...)
}

// TestBridgeServerMCPRemoteExpiredToken: an mcp-remote entry whose stored
// access token has expired is not bridged (mcp-remote would refresh it, a
// write): nothing reaches the remote, nothing in the home changes, and the
// answer says to start the server in its client.
func TestBridgeServerMCPRemoteExpiredToken(t *testing.T) {
	log := &authLog{}
	url := mcpHTTP(t, log.gate)
	d := probeHome(t, map[string]any{"remote": map[string]any{"command": "sh", "args": []string{"-c", "exit 1", "mcp-remote", url}}}, nil, nil)
	d.Env.CWD = t.TempDir()
	sum := md5.Sum([]byte(url))
	dir := filepath.Join(d.Env.Home, ".mcp-auth", "mcp-remote-0.1.37")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	tokens := filepath.Join(dir, hex.EncodeToString(sum[:])+"_tokens.json")
	body := fmt.Sprintf(`{"access_token":%q,"refresh_token":"mr-refresh-canary-9z8y","expires_at":%d}`, tokenCanary, time.Now().Add(-time.Hour).UnixMilli())
	if err := os.WriteFile(tokens, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cs, _ := session(t, d)
	out, text := callJSON[BridgeServerOutput](t, cs, &mcp.CallToolParams{Name: "bridge_server", Arguments: map[string]any{"name": "remote"}})
	if out.Status != "not-bridged" || !strings.Contains(out.Verdict, "expired") || !strings.Contains(out.Verdict, "never refreshes") {
		t.Errorf("expired mcp-remote token: %s", text)
	}
	if n := len(log.all()); n != 0 {
		t.Errorf("the remote was dialled %d time(s)", n)
	}
	if got, _ := os.ReadFile(tokens); string(got) != body {
		t.Error("the token file changed")
	}
	if strings.Contains(text, tokenCanary) || strings.Contains(text, "mr-refresh-canary") {
		t.Error("a token appears in the answer")
	}
}

// TestBridgeManagerDroppedWithSession: a server's bridge Manager is dropped
// when its client session ends, whether or not it bridged anything (serve
// --http builds a server per session).
func TestBridgeManagerDroppedWithSession(t *testing.T) {
	d := probeHome(t, map[string]any{}, nil, nil)
	count := func() int {
		d.bridges.mu.Lock()
		defer d.bridges.mu.Unlock()
		return len(d.bridges.byID)
	}
	for i := 0; i < 3; i++ {
		ct, st := mcp.NewInMemoryTransports()
		ss, err := NewServer(d).Connect(context.Background(), st, nil)
		if err != nil {
			t.Fatal(err)
		}
		cs, err := mcp.NewClient(&mcp.Implementation{Name: "t"}, nil).Connect(context.Background(), ct, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cs.ListTools(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
		cs.Close()
		ss.Wait()
	}
	for i := 0; i < 50 && count() > 0; i++ {
		time.Sleep(20 * time.Millisecond)
	}
	if n := count(); n != 0 {
		t.Errorf("%d Manager(s) left after their sessions ended", n)
	}
}
