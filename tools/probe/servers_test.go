package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// rpcMethod is the JSON-RPC method r carries ("" when it carries none),
// leaving its body to be read again.
func rpcMethod(r *http.Request) string {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	if msg, err := jsonrpc.DecodeMessage(body); err == nil {
		if rq, ok := msg.(*jsonrpc.Request); ok {
			return rq.Method
		}
	}
	return ""
}

// HTTP test servers are real servers on 127.0.0.1 inside the test process:
// the go-sdk's streamable HTTP and SSE handlers, a WebSocket one, and
// middleware that misbehaves the way deployed servers do.

func streamableHandler() http.Handler {
	return mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return testServer() }, nil)
}

// refusingHandler serves a server that answers method with a JSON-RPC
// error, as servers with gaps do.
func refusingHandler(method string) http.Handler {
	return mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server {
		s := testServer()
		s.AddReceivingMiddleware(func(next mcp.MethodHandler) mcp.MethodHandler {
			return func(ctx context.Context, m string, req mcp.Request) (mcp.Result, error) {
				if m == method {
					return nil, &jsonrpc.Error{Code: jsonrpc.CodeMethodNotFound, Message: "Method not found"}
				}
				return next(ctx, m, req)
			}
		})
		return s
	}, nil)
}

func sseHandler() http.Handler {
	return mcp.NewSSEHandler(func(*http.Request) *mcp.Server { return testServer() }, nil)
}

// wsHandler serves MCP over WebSocket, one message per text frame, with the
// "mcp" subprotocol — what Claude Code's ws transport dials.
func wsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{"mcp"}})
		if err != nil {
			return
		}
		if c.Subprotocol() != "mcp" {
			c.Close(websocket.StatusPolicyViolation, "subprotocol mcp required")
			return
		}
		ss, err := testServer().Connect(r.Context(), &wsServerTransport{c}, nil)
		if err != nil {
			return
		}
		ss.Wait()
	})
}

type wsServerTransport struct{ c *websocket.Conn }

func (t *wsServerTransport) Connect(context.Context) (mcp.Connection, error) {
	return &wsConn{c: t.c}, nil
}

// serve starts h on a loopback port for the test's lifetime.
func serve(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

// headerLog records the headers of every request a server receives.
type headerLog struct {
	mu   sync.Mutex
	seen []http.Header
}

func (l *headerLog) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		l.seen = append(l.seen, r.Header.Clone())
		l.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

func (l *headerLog) all() []http.Header {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]http.Header(nil), l.seen...)
}

// status answers every request with code.
func status(code int, challenge string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if challenge != "" {
			w.Header().Set("WWW-Authenticate", challenge)
		}
		http.Error(w, http.StatusText(code), code)
	})
}

// unauthorizedFirst answers the first n requests 401, then serves next:
// a server whose auth layer is broken for a moment, as during a deploy.
func unauthorizedFirst(n int32, next http.Handler) http.Handler {
	var count atomic.Int32
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if count.Add(1) <= n {
			w.Header().Set("WWW-Authenticate", `Bearer realm="mcp"`)
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// unauthorizedFor answers 401 to every request until d after the first:
// an outage in time, as a deployed server has one (the probe sends one
// request more during it when it speculates, speculate.go).
func unauthorizedFor(d time.Duration, next http.Handler) http.Handler {
	var mu sync.Mutex
	var first time.Time
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		if first.IsZero() {
			first = time.Now()
		}
		out := time.Since(first) < d
		mu.Unlock()
		if out {
			w.Header().Set("WWW-Authenticate", `Bearer realm="mcp"`)
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// requireBearer serves next only with "Authorization: Bearer <token>".
func requireBearer(token string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			w.Header().Set("WWW-Authenticate", `Bearer realm="mcp", error="invalid_token", error_description="token expired"`)
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// requireHeader serves next only when header name has value.
func requireHeader(name, value string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(name) != value {
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// delayed waits d before every request (the benchmark's artificial latency).
func delayed(d time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
		next.ServeHTTP(w, r)
	})
}

// hang never answers. It reads the body first: net/http notices a client
// hanging up (and cancels r.Context) only once the body has been read.
func hang() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	})
}

// html answers 200 with a web page, as a login portal or a wrong URL does.
func html() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, "<!doctype html><title>Sign in</title>")
	})
}

// oauthServer is an RFC 8414 authorization server that only publishes
// metadata; withRegistration adds a registration_endpoint (RFC 7591).
func oauthServer(t testing.TB, withRegistration bool) *httptest.Server {
	var s *httptest.Server
	s = serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/oauth-authorization-server" {
			http.NotFound(w, r)
			return
		}
		meta := map[string]any{
			"issuer": s.URL, "authorization_endpoint": s.URL + "/authorize", "token_endpoint": s.URL + "/token",
			"response_types_supported": []string{"code"}, "code_challenge_methods_supported": []string{"S256"},
			"scopes_supported": []string{"mcp:read", "mcp:write"},
		}
		if withRegistration {
			meta["registration_endpoint"] = s.URL + "/register"
		}
		writeJSON(w, meta)
	}))
	return s
}

// protectedMCP is an MCP endpoint at /mcp behind OAuth: 401 with a
// resource_metadata challenge, and RFC 9728 metadata naming as.
func protectedMCP(t testing.TB, as string) *httptest.Server {
	var s *httptest.Server
	s = serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/.well-known/oauth-protected-resource/mcp":
			writeJSON(w, map[string]any{"resource": s.URL + "/mcp", "authorization_servers": []string{as}, "scopes_supported": []string{"mcp:read"}})
		case "/mcp":
			w.Header().Set("WWW-Authenticate", `Bearer resource_metadata="`+s.URL+`/.well-known/oauth-protected-resource/mcp"`)
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
		default:
			http.NotFound(w, r)
		}
	}))
	return s
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}
