package main

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/spf13/cobra"

	"github.com/mcpmend/mcpmend/tools"
)

// serveOptions are serve's flags.
type serveOptions struct {
	http         string
	allowRemote  bool
	tokenFile    string
	allowOrigins []string
}

func newServeCmd(a *app) *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "run as an MCP server on stdio (register it with your client)",
		Long: `Run mcpmend as an MCP server on stdio: its tools (diagnose, reset_server_auth, undo_reset, reset_status)
for a client's model. Nothing but protocol is written to stdout; logs go to stderr.

--http ADDR also serves streamable HTTP at ADDR and keeps serving after stdin closes, until
SIGINT or SIGTERM. Only a loopback address is accepted unless --allow-remote is given together
with --token-file (clients then send "Authorization: Bearer TOKEN"; a missing or wrong token is
answered 401). A request that carries an Origin header (a web page) is refused with 403 unless the
origin is named by --allow-origin — loopback origins included, since any local web page could be
one; requests without Origin (CLI and desktop clients) are served. A Host header that is not a
loopback name is refused on a loopback address (DNS rebinding).`,
		Example: `  claude mcp add --scope user mcpmend -- mcpmend serve
  mcpmend serve --http 127.0.0.1:7331 </dev/null
  mcpmend serve --http 0.0.0.0:7331 --allow-remote --token-file ~/.config/mcpmend/token`,
		Args: noArgs(""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.serve(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.http, "http", "", "also serve streamable HTTP on `ADDR`, e.g. 127.0.0.1:7331 (loopback only unless --allow-remote)")
	f.BoolVar(&o.allowRemote, "allow-remote", false, "allow a non-loopback --http address (needs --token-file)")
	f.StringVar(&o.tokenFile, "token-file", "", "require \"Authorization: Bearer TOKEN\" on HTTP, TOKEN read from `FILE`")
	f.StringSliceVar(&o.allowOrigins, "allow-origin", nil, "serve HTTP requests from this browser `ORIGIN` (e.g. https://app.example); repeatable")
	_ = cmd.MarkFlagFilename("token-file")
	addAsOwnerFlag(cmd, a)
	return cmd
}

// serve serves MCP on stdio and, with --http, streamable HTTP. With --http
// the end of stdin does not end the process: it runs as a service until
// signalled.
func (a *app) serve(ctx context.Context, o serveOptions) error {
	deps := *a.deps
	deps.Logger = slog.New(quietCancel{a.deps.Logger.Handler(), ctx})
	a.deps = &deps
	defer a.deps.Close() // end every bridge_server upstream session
	log := a.deps.Logger
	var httpDone func()
	if o.http != "" {
		guard, err := o.guard(log)
		if err != nil {
			return err
		}
		if httpDone, err = a.serveHTTP(o.http, guard); err != nil {
			return err
		}
		defer httpDone()
	} else if o.allowRemote || o.tokenFile != "" || len(o.allowOrigins) > 0 {
		return usageError{"--allow-remote, --token-file and --allow-origin apply to --http ADDR"}
	}
	log.Info("serving MCP on stdio", "version", tools.Version)
	t := &mcp.IOTransport{Reader: readCloser{a.stdin}, Writer: writeCloser{a.stdout}}
	if err := tools.NewServer(a.deps).Run(ctx, t); err != nil && ctx.Err() == nil {
		return err
	}
	if httpDone != nil && ctx.Err() == nil {
		log.Info("stdin closed; still serving HTTP until SIGINT or SIGTERM")
		<-ctx.Done()
	}
	if ctx.Err() != nil {
		log.Info("stopping", "cause", context.Cause(ctx))
	}
	return nil
}

// serveHTTP listens on addr and serves the MCP tools behind guard; the
// returned func shuts the server down (in-flight requests get 5 s).
func (a *app) serveHTTP(addr string, guard *httpGuard) (func(), error) {
	log := a.deps.Logger
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--http %s: %w", addr, err)
	}
	if !guard.remote && !isLoopbackAddr(ln.Addr()) { // "localhost" resolving elsewhere
		ln.Close()
		return nil, usagef("--http %s listens on %s, which is not loopback; see --allow-remote", addr, ln.Addr())
	}
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return tools.NewServer(a.deps) }, nil)
	srv := &http.Server{Handler: guard.wrap(h), ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	log.Info("serving streamable HTTP", "addr", ln.Addr().String(), "token", guard.token != nil, "origins", guard.origins)
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("http server", "err", err)
		}
	}()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if srv.Shutdown(ctx) != nil {
			srv.Close()
		}
	}, nil
}

// httpGuard checks every HTTP request before the MCP handler sees it.
type httpGuard struct {
	remote  bool
	token   *[sha256.Size]byte // nil: no token required
	origins map[string]bool
	log     *slog.Logger
}

// guard validates the HTTP flags: a non-loopback address only with
// --allow-remote and --token-file, a token file that holds a token.
func (o serveOptions) guard(log *slog.Logger) (*httpGuard, error) {
	g := &httpGuard{remote: o.allowRemote, origins: map[string]bool{}, log: log}
	for _, or := range o.allowOrigins {
		n := normalizeOrigin(or)
		if !strings.Contains(n, "://") {
			return nil, usagef("--allow-origin %q: want scheme://host[:port], e.g. https://app.example", or)
		}
		g.origins[n] = true
	}
	if !loopbackHost(o.http) && !(o.allowRemote && o.tokenFile != "") {
		return nil, usagef("--http %s is not a loopback address: anyone who can reach it could call mcpmend's tools. "+
			"Serve on 127.0.0.1, or give --allow-remote together with --token-file FILE (a bearer token every client must send)", o.http)
	}
	if o.allowRemote && o.tokenFile == "" {
		return nil, usageError{"--allow-remote needs --token-file FILE: a remote listener without a token would let anyone call mcpmend's tools"}
	}
	if o.tokenFile != "" {
		tok, err := readToken(o.tokenFile, log)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(tok)
		g.token = &sum
	}
	return g, nil
}

// readToken reads a bearer token: the file's content without surrounding
// whitespace, at least 16 bytes. The token is never logged.
func readToken(path string, log *slog.Logger) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("--token-file: %w", err)
	}
	if !st.Mode().IsRegular() || st.Size() > 4096 {
		return nil, fmt.Errorf("--token-file %s: want a regular file of at most 4 KiB holding the token", path)
	}
	if st.Mode().Perm()&0o077 != 0 {
		log.Warn("the token file is readable by other users; chmod 600 it", "file", path, "mode", st.Mode().Perm().String())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--token-file: %w", err)
	}
	tok := []byte(strings.TrimSpace(string(data)))
	if len(tok) < 16 {
		return nil, fmt.Errorf("--token-file %s: the token must be at least 16 characters (e.g. openssl rand -hex 32 > %s)", path, path)
	}
	return tok, nil
}

// wrap applies the Origin and token checks in front of h: a foreign Origin
// is 403, a missing or wrong token 401.
func (g *httpGuard) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o := r.Header.Get("Origin"); o != "" && !g.origins[normalizeOrigin(o)] {
			g.log.Warn("refused a request from a browser origin not allowed by --allow-origin", "origin", o, "remote", r.RemoteAddr)
			http.Error(w, "Forbidden: origin not allowed (mcpmend serve --allow-origin)", http.StatusForbidden)
			return
		}
		if g.token != nil && !g.authorized(r) {
			g.log.Warn("refused a request without the right bearer token", "remote", r.RemoteAddr)
			w.Header().Set("WWW-Authenticate", `Bearer realm="mcpmend"`)
			http.Error(w, "Unauthorized: send Authorization: Bearer TOKEN (the --token-file token)", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// authorized compares the bearer token in constant time (over hashes, so
// the token's length does not leak either).
func (g *httpGuard) authorized(r *http.Request) bool {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	return subtle.ConstantTimeCompare(sum[:], g.token[:]) == 1
}

// normalizeOrigin lower-cases an origin and drops a trailing slash.
func normalizeOrigin(o string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(o)), "/")
}

// loopbackHost reports whether addr's host is a loopback IP or localhost.
// An empty host (":7331") means every interface: not loopback.
func loopbackHost(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func isLoopbackAddr(a net.Addr) bool {
	t, ok := a.(*net.TCPAddr)
	return ok && t.IP.IsLoopback()
}

// readCloser and writeCloser adapt the app's streams to IOTransport without
// closing the process's real stdin/stdout underneath other code.
type readCloser struct{ r io.Reader }

func (r readCloser) Read(p []byte) (int, error) { return r.r.Read(p) }
func (readCloser) Close() error                 { return nil }

type writeCloser struct{ w io.Writer }

func (w writeCloser) Write(p []byte) (int, error) { return w.w.Write(p) }
func (writeCloser) Close() error                  { return nil }

// quietCancel is the serve logger: once ctx is cancelled (SIGINT, SIGTERM —
// how a service is stopped), an error record about the cancellation itself
// (the SDK logs "server run cancelled") is an expected part of a clean stop
// and is logged at info. Every other record passes unchanged.
type quietCancel struct {
	slog.Handler
	ctx context.Context
}

func (h quietCancel) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError && h.ctx.Err() != nil && aboutCancel(r) {
		r = r.Clone()
		r.Level = slog.LevelInfo
	}
	return h.Handler.Handle(ctx, r)
}

func (h quietCancel) Enabled(ctx context.Context, l slog.Level) bool {
	return h.Handler.Enabled(ctx, l) || l >= slog.LevelError && h.Handler.Enabled(ctx, slog.LevelInfo)
}

func (h quietCancel) WithAttrs(as []slog.Attr) slog.Handler {
	return quietCancel{h.Handler.WithAttrs(as), h.ctx}
}

func (h quietCancel) WithGroup(name string) slog.Handler {
	return quietCancel{h.Handler.WithGroup(name), h.ctx}
}

// aboutCancel reports whether a record is about a context cancellation.
func aboutCancel(r slog.Record) bool {
	found := strings.Contains(r.Message, "cancel")
	r.Attrs(func(a slog.Attr) bool {
		if err, ok := a.Value.Any().(error); ok && errors.Is(err, context.Canceled) {
			found = true
		}
		found = found || strings.Contains(a.Value.String(), context.Canceled.Error())
		return !found
	})
	return found
}
