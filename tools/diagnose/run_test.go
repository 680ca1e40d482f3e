package diagnose

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpmend/mcpmend/cache/credentials"
	"github.com/mcpmend/mcpmend/registry"
	"github.com/mcpmend/mcpmend/tools/probe"
)

const runCanary = "CANARY-diagnose-run-71c0"

// mcpHandler is a go-sdk streamable HTTP MCP server.
func mcpHandler() http.Handler {
	return mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server {
		s := mcp.NewServer(&mcp.Implementation{Name: "diagnose-http", Version: "2.0.0"}, nil)
		mcp.AddTool(s, &mcp.Tool{Name: "ping"}, func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, any, error) {
			return &mcp.CallToolResult{}, nil, nil
		})
		return s
	}, nil)
}

// healthyHTTP serves mcpHandler on loopback and returns its MCP url.
func healthyHTTP(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(mcpHandler())
	t.Cleanup(srv.Close)
	return srv.URL + "/mcp"
}

// oauthGuarded answers every MCP request 401 and publishes RFC 9728 and
// RFC 8414 metadata with a registration endpoint, as an OAuth-protected
// server does when no token comes with the request.
func oauthGuarded(t *testing.T) string {
	t.Helper()
	var base string
	mux := http.NewServeMux()
	mux.HandleFunc("/mcp", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("WWW-Authenticate", `Bearer resource_metadata="`+base+`/.well-known/oauth-protected-resource/mcp"`)
		http.Error(w, `{"error":"invalid_token"}`, http.StatusUnauthorized)
	})
	mux.HandleFunc("/.well-known/oauth-protected-resource/", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, map[string]any{"resource": base + "/mcp", "authorization_servers": []string{base}})
	})
	mux.HandleFunc("/.well-known/oauth-authorization-server", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, map[string]any{"issuer": base, "authorization_endpoint": base + "/authorize", "token_endpoint": base + "/token",
			"registration_endpoint": base + "/register", "response_types_supported": []string{"code"},
			"code_challenge_methods_supported": []string{"S256"}})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	base = srv.URL
	return base + "/mcp"
}

// bearerOnly serves MCP to requests carrying "Bearer good-token" and
// refuses every other credential with 401 invalid_token.
func bearerOnly(t *testing.T) string {
	t.Helper()
	h := mcpHandler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer good-token" {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="token revoked"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/mcp"
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func writeFile(t *testing.T, path string, v any) {
	t.Helper()
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// closedPort is a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr + "/mcp"
}

// TestRunRealServers diagnoses a Claude Code home whose servers are real
// processes and loopback servers, with client memory written in the shapes
// Claude Code 2.1.328 writes (cache/testdata/claude-state): every
// combination of what the server answers and what the client remembers
// gets its diagnosis, and no secret reaches a report.
func TestRunRealServers(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	healthy, guarded := healthyHTTP(t), oauthGuarded(t)
	home, proj := t.TempDir(), t.TempDir()
	marker := filepath.Join(t.TempDir(), "pending-ran")
	stdio := func(behaviour string) map[string]any {
		return map[string]any{"command": self, "env": map[string]any{behaviourEnv: behaviour, "API_KEY": runCanary}}
	}
	writeFile(t, filepath.Join(home, ".claude.json"), map[string]any{"mcpServers": map[string]any{
		"fresh":         map[string]any{"type": "http", "url": healthy},
		"stuck":         map[string]any{"type": "http", "url": healthy},
		"locked":        map[string]any{"type": "http", "url": guarded},
		"oauth-token":   map[string]any{"type": "http", "url": guarded},
		"oauth-expired": map[string]any{"type": "http", "url": guarded},
		"rejected":      map[string]any{"type": "http", "url": bearerOnly(t), "headers": map[string]any{"Authorization": "Bearer " + runCanary}},
		"local-tool":    stdio("serve"),
		"crashing":      stdio("crash"),
		"missing":       map[string]any{"command": "mcpmend-test-no-such-command", "env": map[string]any{"TOKEN": runCanary}},
		"refused":       map[string]any{"type": "http", "url": closedPort(t)},
	}})
	writeFile(t, filepath.Join(proj, ".mcp.json"), map[string]any{"mcpServers": map[string]any{
		"pending": map[string]any{"command": "sh", "args": []string{"-c", "touch " + marker}}}})
	env := registry.OSEnv().WithHome(home)
	env.CWD = proj
	inv := registry.Discover(env)
	now := time.Now()
	writeClientMemory(t, home, inv, now, guarded)

	var jobs []Job
	for _, s := range inv.Servers {
		if s.Approval == registry.Pending {
			jobs = append(jobs, Job{Server: s, NotProbed: "a project server nobody approved"})
			continue
		}
		jobs = append(jobs, Job{Server: s, Probe: true})
	}
	reports := Run(context.Background(), jobs, Options{Env: env, Now: now, Inventory: inv,
		Probe: probe.Options{Timeout: 10 * time.Second, Dir: proj}})

	want := map[string]struct {
		code, status string
		reset        bool // the first finding's next step is reset_server_auth
	}{
		"fresh":         {"", StatusOK, false},
		"local-tool":    {"", StatusOK, false},
		"stuck":         {CodeStaleNeedsAuth, "error", true},
		"locked":        {CodeServerAuthRequired, "error", false},
		"oauth-token":   {CodeOAuthTokenStored, StatusOK, false},
		"oauth-expired": {CodeOAuthTokenExpired, "error", false},
		"rejected":      {CodeCredentialRejected, "error", false},
		"crashing":      {CodeCrashed, "error", false},
		"missing":       {CodeCommandNotFound, "error", false},
		"refused":       {CodeUnreachable, "error", false},
		"pending":       {CodePendingApproval, "warning", false},
	}
	if len(reports) != len(want) {
		t.Fatalf("%d reports for %d servers", len(reports), len(want))
	}
	for _, r := range reports {
		w, ok := want[r.Server.Name]
		if !ok {
			t.Errorf("unexpected server %s", r.Server.Name)
			continue
		}
		code := ""
		if len(r.Findings) > 0 {
			code = r.Findings[0].Code
		}
		if code != w.code || r.Status != w.status {
			t.Errorf("%s: %s %q, want %s %q (probe %+v)\n%+v", r.Server.Name, r.Status, code, w.status, w.code, r.Probe, r.Findings)
			continue
		}
		for i, f := range r.Findings {
			isReset := f.Next != nil && f.Next.Tool == "reset_server_auth"
			if i == 0 && isReset != w.reset {
				t.Errorf("%s: next = %+v, want reset %v", r.Server.Name, f.Next, w.reset)
			}
			if isReset && !w.reset {
				t.Errorf("%s: %s suggests a reset: %+v", r.Server.Name, f.Code, f.Next)
			}
		}
	}
	byName := map[string]Report{}
	for _, r := range reports {
		byName[r.Server.Name] = r
	}
	if r := byName["crashing"]; !strings.Contains(strings.Join(r.Findings[0].Evidence, "\n"), "stderr: fatal: database refused key") {
		t.Errorf("crash evidence lacks the stderr tail: %v", r.Findings[0].Evidence)
	}
	if r := byName["stuck"]; r.Session == nil || r.Session.Action != "skip" || !strings.Contains(strings.Join(r.Findings[0].Evidence, "\n"), "gate B") {
		t.Errorf("stuck: session %+v, evidence %v", r.Session, r.Findings[0].Evidence)
	}
	if r := byName["pending"]; r.Probe != nil {
		t.Errorf("the pending server was dialled: %+v", r.Probe)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("an unapproved project server was started")
	}
	raw, _ := json.Marshal(reports)
	if strings.Contains(string(raw), runCanary) {
		t.Errorf("canary secret in the reports: %s", raw)
	}
	if t.Failed() {
		for _, r := range reports {
			t.Logf("%s: %s — %s", r.Server.Name, r.Status, r.Verdict)
			for _, f := range r.Findings {
				t.Logf("   %s %s: %s | %v | next %+v", f.Severity, f.Code, f.Summary, f.Evidence, f.Next)
			}
		}
	}
}

// writeClientMemory writes what Claude Code remembers, in its own shapes:
// gates A+B for stuck and locked, gate A for rejected (a header server is
// exempt from B), a usable token for oauth-token and an expired one without
// refresh token for oauth-expired.
func writeClientMemory(t *testing.T, home string, inv *registry.Inventory, now time.Time, guarded string) {
	t.Helper()
	ms := func(d time.Duration) int64 { return now.Add(d).UnixMilli() }
	base := strings.TrimSuffix(guarded, "/mcp")
	discovery := func(stamp bool) map[string]any {
		d := map[string]any{"authorizationServerUrl": base, "oauthMetadataFound": true, "authServerMetadataUrl": nil,
			"resourceMetadataUrl": base + "/.well-known/oauth-protected-resource/mcp"}
		if stamp {
			d["tokenlessRejectedAt"] = ms(-time.Minute)
		}
		return d
	}
	entries := map[string]map[string]any{
		"stuck":         {"accessToken": "", "discoveryState": discovery(true)},
		"locked":        {"accessToken": "", "discoveryState": discovery(true)},
		"oauth-token":   {"accessToken": runCanary, "refreshToken": runCanary, "expiresAt": ms(time.Hour), "discoveryState": discovery(false)},
		"oauth-expired": {"accessToken": runCanary, "expiresAt": ms(-time.Hour), "discoveryState": discovery(false)},
	}
	oauth := map[string]any{}
	for _, s := range inv.Servers {
		if e, ok := entries[s.Name]; ok {
			e["serverName"], e["serverUrl"] = s.Name, s.Raw.URL.Reveal()
			oauth[credentials.Key(s)] = e
		}
	}
	if len(oauth) != len(entries) {
		t.Fatalf("credential keys for %d of %d servers", len(oauth), len(entries))
	}
	writeFile(t, filepath.Join(home, ".claude", ".credentials.json"), map[string]any{"mcpOAuth": oauth})
	needs := map[string]any{}
	for _, n := range []string{"stuck", "locked", "rejected"} {
		needs[n] = map[string]any{"timestamp": ms(-time.Minute)}
	}
	writeFile(t, filepath.Join(home, ".claude", "mcp-needs-auth-cache.json"), needs)
}
