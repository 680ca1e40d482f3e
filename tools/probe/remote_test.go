package probe

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mcpmend/mcpmend/registry"
)

// remoteCase builds a server (starting whatever it needs) and checks the
// result beyond its verdict.
type remoteCase struct {
	name  string
	setup func(t *testing.T) registry.Server
	opts  func(*Options)
	want  Verdict
	check func(t *testing.T, r Result)
}

// TestRemoteVerdicts probes real loopback servers over streamable HTTP, SSE
// and WebSocket, each misbehaving one way.
func TestRemoteVerdicts(t *testing.T) {
	bearer := []string{"Authorization", "Bearer " + canary, "X-Api-Key", canary}
	tests := []remoteCase{
		{name: "streamable healthy", want: OK, setup: func(t *testing.T) registry.Server {
			return remoteServer("s", registry.HTTP, serve(t, streamableHandler()).URL, bearer...)
		}, check: func(t *testing.T, r Result) {
			// go-sdk's streamable handler answers server/discover without
			// 2026-07-28, so the client falls back to initialize.
			if r.Server == nil || r.Server.ToolCount != 3 || r.Server.Handshake != "initialize" || r.Server.ProtocolVersion != "2025-11-25" {
				t.Errorf("server = %+v", r.Server)
			}
			if len(r.HTTP) == 0 || r.HTTP[0].RPC != "server/discover" || r.HTTP[0].Status != 200 || !r.HTTP[0].Credentials {
				t.Errorf("first exchange = %+v, want POST server/discover 200 with credentials", r.HTTP)
			}
			hs := phaseNamed(r, PhaseHandshake)
			if len(hs.Steps) != 2 || hs.Steps[0].Method != "server/discover" || !strings.Contains(hs.Steps[0].Error, "fell back") || hs.Steps[1].Method != "initialize" || hs.Steps[1].Error != "" {
				t.Errorf("handshake steps = %+v, want discover falling back to initialize", hs.Steps)
			}
		}},
		{name: "sse healthy", want: OK, setup: func(t *testing.T) registry.Server {
			return remoteServer("s", registry.SSE, serve(t, sseHandler()).URL, bearer...)
		}, check: func(t *testing.T, r Result) {
			if r.Server == nil || r.Server.ToolCount != 3 {
				t.Errorf("server = %+v", r.Server)
			}
			if hs := phaseNamed(r, PhaseHandshake); len(hs.Steps) == 0 {
				t.Errorf("no handshake steps recorded over SSE")
			}
		}},
		{name: "ws healthy with headers", want: OK, setup: func(t *testing.T) registry.Server {
			var log headerLog
			srv := serve(t, log.wrap(wsHandler()))
			t.Cleanup(func() {
				if h := log.all(); len(h) == 0 || h[0].Get("X-Api-Key") != canary || h[0].Get("Sec-Websocket-Protocol") != "mcp" {
					t.Errorf("ws handshake headers = %v, want the configured X-Api-Key and subprotocol mcp", h)
				}
			})
			return remoteServer("s", registry.WS, "ws"+strings.TrimPrefix(srv.URL, "http"), bearer...)
		}},
		{name: "401 then 200: transient, probed during the outage", want: AuthRequired, setup: func(t *testing.T) registry.Server {
			return remoteServer("s", registry.HTTP, serve(t, unauthorizedFor(time.Minute, streamableHandler())).URL)
		}, check: func(t *testing.T, r Result) {
			var sent []Exchange // the speculative initialize beside server/discover aside
			for _, e := range r.HTTP {
				if !e.Speculative {
					sent = append(sent, e)
				}
			}
			if len(sent) != 2 || sent[0].RPC != "server/discover" || sent[1].RPC != "initialize" || sent[1].Status != http.StatusUnauthorized {
				t.Errorf("exchanges = %+v, want server/discover and initialize, both 401", r.HTTP)
			}
		}},
		{name: "401 once then 200: ok with a note", want: OK, setup: func(t *testing.T) registry.Server {
			return remoteServer("s", registry.HTTP, serve(t, unauthorizedFirst(1, streamableHandler())).URL)
		}, check: func(t *testing.T, r Result) {
			if !strings.Contains(strings.Join(r.Notes, "\n"), "first answered 401") {
				t.Errorf("notes = %v, want the transient 401 flagged", r.Notes)
			}
			if r.Server.Handshake != "initialize" {
				t.Errorf("handshake = %s, want initialize (discover got the 401)", r.Server.Handshake)
			}
		}},
		{name: "configured bearer rejected", want: AuthRejected, setup: func(t *testing.T) registry.Server {
			return remoteServer("s", registry.HTTP, serve(t, requireBearer("good", streamableHandler())).URL, bearer...)
		}, check: func(t *testing.T, r Result) {
			if r.Auth == nil || r.Auth.Error != "invalid_token" || !r.Auth.CredentialsSent || !strings.Contains(strings.Join(r.Auth.HeadersSent, ","), "Authorization") {
				t.Errorf("auth evidence = %+v", r.Auth)
			}
		}},
		{name: "403 insufficient_scope", want: Forbidden, setup: func(t *testing.T) registry.Server {
			return remoteServer("s", registry.HTTP, serve(t, status(403, `Bearer error="insufficient_scope", scope="files:write"`)).URL, bearer...)
		}, check: func(t *testing.T, r Result) {
			if r.Auth == nil || r.Auth.Error != "insufficient_scope" || r.Auth.Scope != "files:write" || !strings.Contains(r.Summary, "files:write") {
				t.Errorf("auth = %+v, summary %q", r.Auth, r.Summary)
			}
		}},
		{name: "bare 403", want: Forbidden, setup: func(t *testing.T) registry.Server {
			return remoteServer("s", registry.HTTP, serve(t, status(403, "")).URL, bearer...)
		}, check: func(t *testing.T, r Result) {
			if r.Auth == nil || r.Auth.Error != "" || !strings.Contains(r.Summary, "without insufficient_scope") {
				t.Errorf("auth = %+v, summary %q", r.Auth, r.Summary)
			}
		}},
		{name: "oauth with dynamic registration", want: AuthRequired, setup: func(t *testing.T) registry.Server {
			as := oauthServer(t, true)
			srv := protectedMCP(t, as.URL)
			t.Cleanup(func() {})
			return remoteServer("s", registry.HTTP, srv.URL+"/mcp")
		}, check: func(t *testing.T, r Result) {
			o := r.Auth.OAuth
			if o == nil || !o.Found || !o.DynamicRegistration || !strings.HasSuffix(o.ResourceMetadataURL, "/.well-known/oauth-protected-resource/mcp") ||
				len(o.AuthorizationServers) != 1 || !strings.HasSuffix(o.AuthServerMetadataURL, "/.well-known/oauth-authorization-server") || !strings.HasSuffix(o.RegistrationEndpoint, "/register") {
				t.Errorf("oauth discovery = %+v", o)
			}
			if p := phaseNamed(r, PhaseOAuth); p == nil || !p.OK {
				t.Errorf("oauth phase = %+v", p)
			}
			if !strings.Contains(r.Summary, "dynamic client registration") {
				t.Errorf("summary = %q", r.Summary)
			}
		}},
		{name: "oauth without registration", want: AuthRequired, setup: func(t *testing.T) registry.Server {
			return remoteServer("s", registry.HTTP, protectedMCP(t, oauthServer(t, false).URL).URL+"/mcp")
		}, check: func(t *testing.T, r Result) {
			if o := r.Auth.OAuth; o == nil || !o.Found || o.DynamicRegistration || o.RegistrationEndpoint != "" {
				t.Errorf("oauth discovery = %+v", o)
			}
			if !strings.Contains(r.Summary, "no dynamic client registration") {
				t.Errorf("summary = %q", r.Summary)
			}
		}},
		{name: "401 without any metadata", want: AuthRequired, setup: func(t *testing.T) registry.Server {
			return remoteServer("s", registry.HTTP, serve(t, status(401, `Bearer realm="x"`)).URL+"/mcp")
		}, check: func(t *testing.T, r Result) {
			if o := r.Auth.OAuth; o == nil || o.Found || !o.RootFallback {
				t.Errorf("oauth discovery = %+v, want nothing found and the root fallback tried", o)
			}
		}},
		{name: "tools/list refused", want: ProtocolError, setup: func(t *testing.T) registry.Server {
			return remoteServer("s", registry.HTTP, serve(t, refusingHandler("tools/list")).URL)
		}, check: func(t *testing.T, r Result) {
			if r.Phase != PhaseTools || !strings.Contains(r.Summary, "answered tools/list with an error") {
				t.Errorf("phase %s, summary %q", r.Phase, r.Summary)
			}
		}},
		{name: "ping refused: ok with a note", want: OK, setup: func(t *testing.T) registry.Server {
			return remoteServer("s", registry.HTTP, serve(t, refusingHandler("ping")).URL)
		}, check: func(t *testing.T, r Result) {
			if !strings.Contains(strings.Join(r.Notes, "\n"), "answers ping with an error") {
				t.Errorf("notes = %v", r.Notes)
			}
		}},
		{name: "slow but in time", want: OK, setup: func(t *testing.T) registry.Server {
			return remoteServer("s", registry.HTTP, serve(t, delayed(300*time.Millisecond, streamableHandler())).URL)
		}},
		{name: "hanging", want: Timeout, opts: func(o *Options) { o.Timeout = 500 * time.Millisecond }, setup: func(t *testing.T) registry.Server {
			return remoteServer("s", registry.HTTP, serve(t, hang()).URL)
		}, check: func(t *testing.T, r Result) {
			if r.Phase != PhaseHandshake {
				t.Errorf("phase = %s", r.Phase)
			}
		}},
		{name: "sse hanging", want: Timeout, opts: func(o *Options) { o.Timeout = 500 * time.Millisecond }, setup: func(t *testing.T) registry.Server {
			return remoteServer("s", registry.SSE, serve(t, hang()).URL)
		}, check: func(t *testing.T, r Result) {
			if r.Phase != PhaseConnect {
				t.Errorf("phase = %s, want connect (the SSE stream never opened)", r.Phase)
			}
		}},
		{name: "404", want: NotFound, setup: func(t *testing.T) registry.Server {
			return remoteServer("s", registry.HTTP, serve(t, http.NotFoundHandler()).URL+"/wrong")
		}},
		{name: "500", want: ServerError, setup: func(t *testing.T) registry.Server {
			return remoteServer("s", registry.HTTP, serve(t, status(500, "")).URL)
		}},
		{name: "503 on sse", want: ServerError, setup: func(t *testing.T) registry.Server {
			return remoteServer("s", registry.SSE, serve(t, status(503, "")).URL)
		}},
		{name: "html page", want: ProtocolError, setup: func(t *testing.T) registry.Server {
			return remoteServer("s", registry.HTTP, serve(t, html()).URL)
		}, check: func(t *testing.T, r Result) {
			if !strings.Contains(r.Summary, "text/html") {
				t.Errorf("summary = %q", r.Summary)
			}
		}},
		{name: "sse configured for a streamable server", want: ProtocolError, setup: func(t *testing.T) registry.Server {
			return remoteServer("s", registry.SSE, serve(t, streamableHandler()).URL)
		}, check: func(t *testing.T, r Result) {
			if !strings.Contains(r.Summary, `configure "type": "http"`) {
				t.Errorf("summary = %q, want the other transport suggested", r.Summary)
			}
		}},
		{name: "http configured for an sse server", want: ProtocolError, setup: func(t *testing.T) registry.Server {
			return remoteServer("s", registry.HTTP, serve(t, sseHandler()).URL)
		}, check: func(t *testing.T, r Result) {
			if !strings.Contains(r.Summary, `configure "type": "sse"`) {
				t.Errorf("summary = %q, want the other transport suggested", r.Summary)
			}
		}},
		{name: "refused port", want: Unreachable, setup: func(t *testing.T) registry.Server {
			return remoteServer("s", registry.HTTP, "http://"+closedPort(t)+"/mcp")
		}},
		{name: "untrusted certificate", want: TLSError, setup: func(t *testing.T) registry.Server {
			s := httptest.NewTLSServer(streamableHandler())
			t.Cleanup(s.Close)
			return remoteServer("s", registry.HTTP, s.URL)
		}},
		{name: "ws endpoint missing", want: NotFound, setup: func(t *testing.T) registry.Server {
			return remoteServer("s", registry.WS, "ws"+strings.TrimPrefix(serve(t, http.NotFoundHandler()).URL, "http"))
		}},
		{name: "url with a wrong scheme", want: ConfigError, setup: func(t *testing.T) registry.Server {
			return remoteServer("s", registry.HTTP, "ftp://127.0.0.1/mcp")
		}},
		{name: "no url", want: ConfigError, setup: func(t *testing.T) registry.Server {
			return remoteServer("s", registry.SSE, "")
		}},
		{name: "url and headers from variables", want: OK, setup: func(t *testing.T) registry.Server {
			srv := serve(t, requireBearer("from-env", streamableHandler()))
			t.Setenv("PROBE_TEST_PORT", srv.Listener.Addr().(*net.TCPAddr).AddrPort().String())
			t.Setenv("PROBE_TEST_TOKEN", "from-env")
			return remoteServer("s", registry.HTTP, "http://${PROBE_TEST_PORT}/mcp", "Authorization", "Bearer ${PROBE_TEST_TOKEN}")
		}, opts: func(o *Options) { o.Environ = nil }},
	}
	runRemote(t, tests)
}

func runRemote(t *testing.T, tests []remoteCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.setup(t)
			opts := quick()
			if tt.opts != nil {
				tt.opts(&opts)
			}
			r := Probe(context.Background(), s, opts)
			checkResult(t, r, tt.want)
			if tt.check != nil {
				tt.check(t, r)
			}
		})
	}
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestRedirectToAnotherHost: configured credentials must never reach
// another origin. A streamable POST redirected elsewhere is not followed
// (as in Claude Code); an SSE GET is, without the headers.
func TestRedirectToAnotherHost(t *testing.T) {
	var bLog headerLog
	b := serve(t, bLog.wrap(http.StripPrefix("/b", sseHandler())))
	a := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code := http.StatusTemporaryRedirect
		if r.Method == http.MethodGet {
			code = http.StatusFound
		}
		http.Redirect(w, r, b.URL+"/b"+r.URL.Path, code)
	}))
	headers := []string{"Authorization", "Bearer " + canary, "X-Api-Key", canary}

	r := Probe(context.Background(), remoteServer("s", registry.HTTP, a.URL+"/mcp", headers...), quick())
	checkResult(t, r, ProtocolError)
	if !strings.Contains(r.Summary, "307") || len(r.HTTP) == 0 || r.HTTP[0].Location == "" {
		t.Errorf("summary %q, exchanges %+v: want the unfollowed 307 and its target", r.Summary, r.HTTP)
	}
	if n := len(bLog.all()); n != 0 {
		t.Errorf("the other host got %d requests from a POST redirect", n)
	}

	// The GET is followed, without the headers. The message endpoint the
	// stream announces is resolved against the configured URL (by the SDK,
	// as by Claude Code's), so the POSTs go back to A, whose cross-origin
	// 307 is again not followed.
	r = Probe(context.Background(), remoteServer("s", registry.SSE, a.URL+"/sse", headers...), quick())
	checkResult(t, r, ProtocolError)
	got := bLog.all()
	if len(got) == 0 {
		t.Fatal("the SSE redirect was not followed")
	}
	for _, h := range got {
		if h.Get("Authorization") != "" || h.Get("X-Api-Key") != "" {
			t.Fatalf("configured headers reached another origin: %v", h)
		}
	}
	if !strings.Contains(strings.Join(r.Notes, "\n"), "another origin") {
		t.Errorf("notes = %v, want the cross-origin redirect reported", r.Notes)
	}
	if len(r.HTTP) < 2 || r.HTTP[0].Status != http.StatusFound || !r.HTTP[0].Credentials || r.HTTP[1].Credentials || len(r.HTTP[1].HeadersSent) != 0 {
		t.Errorf("exchanges = %+v, want credentials on the first request only", r.HTTP)
	}
}

// TestRedirectSameOrigin: a 307 within the configured origin is followed
// with the headers (e.g. /mcp → /mcp/).
func TestRedirectSameOrigin(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/mcp/", requireBearer(canary, streamableHandler()))
	mux.Handle("/mcp", http.RedirectHandler("/mcp/", http.StatusPermanentRedirect))
	srv := serve(t, mux)
	r := Probe(context.Background(), remoteServer("s", registry.HTTP, srv.URL+"/mcp", "Authorization", "Bearer "+canary), quick())
	checkResult(t, r, OK)
}

// TestHeadersHelper runs real helper commands through the shell, as Claude
// Code does, and checks their output reaches the server and their failures
// are helper_failed without their output ever being printed.
func TestHeadersHelper(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("helpers here are POSIX shell commands")
	}
	srv := serve(t, requireHeader("X-Server", "helped", requireBearer(canary, streamableHandler())))
	withHelper := func(helper string, headers ...string) func(*testing.T) registry.Server {
		return func(t *testing.T) registry.Server {
			s := remoteServer("helped", registry.HTTP, srv.URL, headers...)
			s.HeadersHelper, s.Raw.HeadersHelper = true, registry.Secret(helper)
			return s
		}
	}
	ok := `printf '{"Authorization":"Bearer ` + canary + `","X-Server":"%s"}' "$CLAUDE_CODE_MCP_SERVER_NAME"`
	tests := []remoteCase{
		{name: "helper output overrides configured headers", want: OK, setup: withHelper(ok, "Authorization", "Bearer stale")},
		{name: "helper exits 1, echoing a secret", want: HelperFailed, setup: withHelper(`echo "cannot reach vault with $VAULT_TOKEN" >&2; exit 1`),
			opts: func(o *Options) { o.Environ = append(os.Environ(), "VAULT_TOKEN="+canary) }, check: func(t *testing.T, r Result) {
				helperReason("exec_failed")(t, r)
				if !strings.Contains(r.Error, "cannot reach vault with [redacted]") {
					t.Errorf("error = %q, want the helper's stderr with the inherited secret scrubbed", r.Error)
				}
			}},
		{name: "helper prints nothing", want: HelperFailed, setup: withHelper(`true`), check: helperReason("exec_failed")},
		{name: "helper prints no JSON", want: HelperFailed, setup: withHelper(`echo ` + canary), check: helperReason("parse_failed")},
		{name: "helper prints an array", want: HelperFailed, setup: withHelper(`echo '["` + canary + `"]'`), check: helperReason("non_object")},
		{name: "helper prints a number value", want: HelperFailed, setup: withHelper(`echo '{"X-N": 1}'`), check: helperReason("non_string_value")},
		{name: "helper hangs", want: HelperFailed, opts: func(o *Options) { o.HelperTimeout = 300 * time.Millisecond }, setup: withHelper(`sleep 30`), check: helperReason("timeout")},
	}
	runRemote(t, tests)
}

func helperReason(reason string) func(t *testing.T, r Result) {
	return func(t *testing.T, r Result) {
		t.Helper()
		if !strings.Contains(r.Error, "headersHelper "+reason) || r.Phase != PhaseHelper {
			t.Errorf("error %q in phase %s, want headersHelper %s", r.Error, r.Phase, reason)
		}
	}
}

// TestOAuthDiscoveryPastSDKGuard: metadata served over plain http from a
// host the go-sdk does not consider loopback (an intranet name) is refused
// by its fetchers; the probe still reports what the documents say, fetched
// once more without the guard, and says that SDK-based clients will refuse
// them. The server listens on 127.0.0.1 and is dialled by a name that
// reaches it without being one the SDK exempts: the machine's host name
// (in /etc/hosts), else 0.0.0.0.
func TestOAuthDiscoveryPastSDKGuard(t *testing.T) {
	var base string
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/.well-known/oauth-protected-resource/mcp":
			writeJSON(w, map[string]any{"resource": base + "/mcp", "authorization_servers": []string{base}})
		case "/.well-known/oauth-authorization-server":
			writeJSON(w, map[string]any{"issuer": base, "authorization_endpoint": base + "/authorize", "token_endpoint": base + "/token",
				"registration_endpoint": base + "/register", "code_challenge_methods_supported": []string{"S256"}})
		default:
			w.Header().Set("WWW-Authenticate", `Bearer resource_metadata="`+base+`/.well-known/oauth-protected-resource/mcp"`)
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
		}
	}))
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	host, _ := os.Hostname()
	for _, h := range []string{host, "0.0.0.0", ""} {
		if h == "" {
			t.Skip("no name other than localhost reaches 127.0.0.1 here")
		}
		if c, err := net.DialTimeout("tcp", net.JoinHostPort(h, port), time.Second); err == nil {
			c.Close()
			base = "http://" + net.JoinHostPort(h, port)
			break
		}
	}
	r := Probe(context.Background(), remoteServer("intranet", registry.HTTP, base+"/mcp"), quick())
	checkResult(t, r, AuthRequired)
	o := r.Auth.OAuth
	if o == nil || !o.Found || !o.Unguarded || !o.DynamicRegistration || o.AuthorizationEndpoint != base+"/authorize" {
		t.Fatalf("oauth = %+v", o)
	}
	if !strings.Contains(strings.Join(o.Problems, "\n"), "does not use HTTPS") {
		t.Errorf("problems = %v, want the SDK's refusal reported", o.Problems)
	}
}
