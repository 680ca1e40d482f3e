package integration

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// oauthServer is a loopback MCP server guarded by OAuth the way Claude Code
// discovers it: while unhealthy, /mcp answers 401 with
// `WWW-Authenticate: Bearer resource_metadata="…"`, and the server publishes
// RFC 9728 protected-resource metadata and RFC 8414 authorization-server
// metadata, with or without a registration_endpoint. SetHealthy(true) turns
// /mcp into a plain MCP server that needs no token — the upstream recovered
// — which is how the stuck state is reproduced. Every request is recorded,
// so a test can tell "the client skipped the server" from "it dialled".
type oauthServer struct {
	Name   string // the server name the test registers it under
	Base   string // http://127.0.0.1:port
	MCPURL string // Base + "/mcp"

	registration bool
	mcpHandler   http.Handler
	srv          *http.Server

	mu       sync.Mutex
	healthy  bool
	requests []oauthRequest
}

// oauthRequest is one request the server received.
type oauthRequest struct {
	Method, Path string
	Bearer       bool // an Authorization header was sent
	At           time.Time
}

// startOAuthServer listens on 127.0.0.1 and stops when the test ends.
// registration says whether the authorization server offers dynamic client
// registration (without it Claude Code writes gate C as well).
func startOAuthServer(t testing.TB, name string, registration bool) *oauthServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &oauthServer{Name: name, Base: "http://" + ln.Addr().String(), registration: registration}
	s.MCPURL = s.Base + "/mcp"
	ms := mcp.NewServer(&mcp.Implementation{Name: "oauth-fixture-" + name, Version: "1"}, nil)
	mcp.AddTool(ms, &mcp.Tool{Name: "ping", Description: "answers pong"}, func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "pong"}}}, nil, nil
	})
	s.mcpHandler = mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return ms }, nil)
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("oauth server %s: %v", name, err)
		}
	}()
	t.Cleanup(func() { s.srv.Close() })
	return s
}

// SetHealthy switches /mcp between 401 (false) and answering MCP (true).
func (s *oauthServer) SetHealthy(h bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.healthy = h
}

// Requests returns what the server received so far.
func (s *oauthServer) Requests() []oauthRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]oauthRequest(nil), s.requests...)
}

// MCPRequests counts requests to /mcp (what a dial sends; metadata
// fetches are not counted).
func (s *oauthServer) MCPRequests() int {
	n := 0
	for _, r := range s.Requests() {
		if strings.HasPrefix(r.Path, "/mcp") {
			n++
		}
	}
	return n
}

// ForgetRequests clears the record, to count from a point in a test.
func (s *oauthServer) ForgetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

func (s *oauthServer) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, oauthRequest{Method: r.Method, Path: r.URL.Path, Bearer: r.Header.Get("Authorization") != "", At: time.Now()})
	healthy := s.healthy
	s.mu.Unlock()
	switch {
	case r.URL.Path == "/.well-known/oauth-protected-resource" || r.URL.Path == "/.well-known/oauth-protected-resource/mcp":
		writeJSON(w, map[string]any{"resource": s.MCPURL, "authorization_servers": []string{s.Base},
			"bearer_methods_supported": []string{"header"}})
	case r.URL.Path == "/.well-known/oauth-authorization-server" || r.URL.Path == "/.well-known/openid-configuration":
		md := map[string]any{"issuer": s.Base, "authorization_endpoint": s.Base + "/authorize", "token_endpoint": s.Base + "/token",
			"response_types_supported": []string{"code"}, "grant_types_supported": []string{"authorization_code", "refresh_token"},
			"code_challenge_methods_supported": []string{"S256"}, "token_endpoint_auth_methods_supported": []string{"none"}}
		if s.registration {
			md["registration_endpoint"] = s.Base + "/register"
		}
		writeJSON(w, md)
	case r.URL.Path == "/register" && s.registration && r.Method == http.MethodPost:
		var meta map[string]any
		_ = json.NewDecoder(r.Body).Decode(&meta)
		if meta == nil {
			meta = map[string]any{}
		}
		meta["client_id"] = "fixture-client-" + s.Name
		meta["client_id_issued_at"] = time.Now().Unix()
		writeJSONStatus(w, http.StatusCreated, meta)
	case strings.HasPrefix(r.URL.Path, "/mcp") && !healthy:
		w.Header().Set("WWW-Authenticate", `Bearer resource_metadata="`+s.Base+`/.well-known/oauth-protected-resource/mcp"`)
		http.Error(w, `{"error":"invalid_token","error_description":"authentication required"}`, http.StatusUnauthorized)
	case strings.HasPrefix(r.URL.Path, "/mcp"):
		s.mcpHandler.ServeHTTP(w, r)
	default:
		http.NotFound(w, r)
	}
}

func writeJSON(w http.ResponseWriter, v any) { writeJSONStatus(w, http.StatusOK, v) }

func writeJSONStatus(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
