package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// lockedBuffer is a bytes.Buffer safe to read while a child writes it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// httpServe is a running `mcpmend serve --http` started with stdin closed
// (/dev/null), as a service runs.
type httpServe struct {
	cmd    *exec.Cmd
	url    string
	stderr *lockedBuffer
	exited chan struct{}
}

var addrLog = regexp.MustCompile(`serving streamable HTTP addr=(\S+)`)

// startHTTPServe starts the binary with `serve --http 127.0.0.1:0` plus args
// and waits for the address it logs.
func startHTTPServe(t *testing.T, args ...string) *httpServe {
	t.Helper()
	s := &httpServe{stderr: &lockedBuffer{}, exited: make(chan struct{})}
	s.cmd = exec.Command(binary, append([]string{"--log-level", "info", "serve", "--http", "127.0.0.1:0"}, args...)...)
	s.cmd.Env = homeEnv(t.TempDir())
	s.cmd.Stderr = s.stderr // stdin nil: /dev/null, closed from the start
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.cmd.Wait(); close(s.exited) }()
	t.Cleanup(func() {
		s.cmd.Process.Kill()
		<-s.exited
	})
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if m := addrLog.FindStringSubmatch(s.stderr.String()); m != nil {
			s.url = "http://" + m[1]
			return s
		}
		select {
		case <-s.exited:
			t.Fatalf("serve --http exited at once (code %d): %s", s.cmd.ProcessState.ExitCode(), s.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("serve --http logged no address: %s", s.stderr.String())
	return nil
}

// post sends an initialize request with the given headers and returns the
// status.
func (s *httpServe) post(t *testing.T, headers map[string]string) int {
	t.Helper()
	body := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`
	req, _ := http.NewRequest(http.MethodPost, s.url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	if h := headers["Host"]; h != "" {
		req.Host = h // net/http sends req.Host, not a Host header
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// connectHTTP opens an MCP client session over streamable HTTP, sending
// token as a bearer token when it is not empty.
func connectHTTP(t *testing.T, url, token string) (*mcp.ClientSession, error) {
	hc := &http.Client{Transport: bearer{token}}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	client := mcp.NewClient(&mcp.Implementation{Name: "integration-test", Version: "1"}, nil)
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: url, HTTPClient: hc}, nil)
	if err == nil {
		t.Cleanup(func() { cs.Close() })
	}
	return cs, err
}

type bearer struct{ token string }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	if b.token != "" {
		r = r.Clone(r.Context())
		r.Header.Set("Authorization", "Bearer "+b.token)
	}
	return http.DefaultTransport.RoundTrip(r)
}

// TestServeHTTPKeepsServingWithStdinClosed: `serve --http ADDR </dev/null`
// is a service: the closed stdin ends the stdio session, not the process,
// and a client over HTTP gets the tools.
func TestServeHTTPKeepsServingWithStdinClosed(t *testing.T) {
	s := startHTTPServe(t)
	select {
	case <-s.exited:
		t.Fatalf("serve --http exited when stdin closed: %s", s.stderr.String())
	case <-time.After(time.Second):
	}
	cs, err := connectHTTP(t, s.url, "")
	if err != nil {
		t.Fatalf("connecting over HTTP: %v\n%s", err, s.stderr.String())
	}
	res, err := cs.ListTools(context.Background(), nil)
	if err != nil || len(res.Tools) < 5 {
		t.Fatalf("tools/list over HTTP: %v %+v", err, res)
	}
	out, _, _ := runCLI(t, t.TempDir(), "version", "--json")
	var b struct{ Version string }
	if err := json.Unmarshal([]byte(out), &b); err != nil || b.Version == "" {
		t.Fatalf("version --json: %q (%v)", out, err)
	}
	if v := cs.InitializeResult().ServerInfo.Version; v != b.Version {
		t.Errorf("serverInfo.version = %q, `mcpmend version` says %q", v, b.Version)
	}
}

// TestServeHTTPOrigin: a request with a foreign Origin (a web page, DNS
// rebinding) is 403, loopback origins included unless allowed; no Origin (a
// CLI or desktop client) and an --allow-origin origin are served.
func TestServeHTTPOrigin(t *testing.T) {
	s := startHTTPServe(t, "--allow-origin", "https://app.example")
	for _, tt := range []struct {
		origin string
		want   int
	}{
		{"", http.StatusOK},
		{"https://evil.example", http.StatusForbidden},
		{"http://localhost:3000", http.StatusForbidden},
		{"null", http.StatusForbidden},
		{"https://app.example", http.StatusOK},
		{"HTTPS://APP.EXAMPLE/", http.StatusOK},
	} {
		h := map[string]string{}
		if tt.origin != "" {
			h["Origin"] = tt.origin
		}
		if got := s.post(t, h); got != tt.want {
			t.Errorf("Origin %q: status %d, want %d", tt.origin, got, tt.want)
		}
	}
	// DNS rebinding: a loopback listener refuses a Host that is not loopback.
	if got := s.post(t, map[string]string{"Host": "attacker.example"}); got != http.StatusForbidden {
		t.Errorf("Host attacker.example: status %d, want 403", got)
	}
}

// TestServeHTTPRefusesRemoteWithoutToken: a non-loopback address is refused
// (exit 2, nothing listens) without --allow-remote and --token-file, and the
// flags that only make sense with --http are refused without it.
func TestServeHTTPRefusesRemoteWithoutToken(t *testing.T) {
	home := t.TempDir()
	tokenFile := filepath.Join(home, "token")
	if err := os.WriteFile(tokenFile, []byte("0123456789abcdef0123456789abcdef\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--http", "0.0.0.0:0"}, "not a loopback address"},
		{[]string{"serve", "--http", ":0"}, "not a loopback address"},
		{[]string{"serve", "--http", "[::]:0"}, "not a loopback address"},
		{[]string{"serve", "--http", "0.0.0.0:0", "--allow-remote"}, "not a loopback address"},
		{[]string{"serve", "--http", "0.0.0.0:0", "--token-file", tokenFile}, "not a loopback address"},
		{[]string{"serve", "--http", "127.0.0.1:0", "--allow-remote"}, "--allow-remote needs --token-file"},
		{[]string{"serve", "--allow-remote", "--token-file", tokenFile}, "apply to --http"},
	} {
		_, stderr, code := runCLI(t, home, tt.args...)
		if code != 2 || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", tt.args, code, stderr, tt.want)
		}
	}
}

// TestServeHTTPBearerToken: with --token-file every request needs the
// token: missing or wrong → 401 with a Bearer challenge; the right one works.
// (--allow-remote is given too, as for a remote listener; the test listens
// on 127.0.0.1 only.)
func TestServeHTTPBearerToken(t *testing.T) {
	const token = "s3cret-CANARY-token-0123456789abcdef"
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startHTTPServe(t, "--allow-remote", "--token-file", tokenFile)
	for _, tt := range []struct {
		auth string
		want int
	}{
		{"", http.StatusUnauthorized},
		{"Bearer wrong-token-0123456789abcdef", http.StatusUnauthorized},
		{"Bearer " + token[:len(token)-1], http.StatusUnauthorized},
		{"Basic " + token, http.StatusUnauthorized},
		{"Bearer " + token, http.StatusOK},
		{"bearer " + token, http.StatusOK},
	} {
		if got := s.post(t, map[string]string{"Authorization": tt.auth}); got != tt.want {
			t.Errorf("Authorization %q: status %d, want %d", tt.auth, got, tt.want)
		}
	}
	if _, err := connectHTTP(t, s.url, "wrong-token-0123456789abcdef"); err == nil {
		t.Error("a client with a wrong token connected")
	}
	cs, err := connectHTTP(t, s.url, token)
	if err != nil {
		t.Fatalf("the right token: %v", err)
	}
	if _, err := cs.ListTools(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(s.stderr.String(), token) {
		t.Errorf("the token reached the log: %s", s.stderr.String())
	}
}

// TestServeSignals: SIGTERM and SIGHUP stop `serve` cleanly — exit 0 and
// nothing logged at error level — and stop it even with stdin still open.
func TestServeSignals(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("POSIX signals")
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGHUP, syscall.SIGINT} {
		cmd := exec.Command(binary, "--log-level", "debug", "serve")
		cmd.Env = homeEnv(t.TempDir())
		stdin, err := cmd.StdinPipe() // held open: only the signal ends it
		if err != nil {
			t.Fatal(err)
		}
		var stderr lockedBuffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waitFor(t, func() bool { return strings.Contains(stderr.String(), "server session connected") })
		cmd.Process.Signal(sig)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("%v did not stop serve: %s", sig, stderr.String())
		}
		stdin.Close()
		if code := cmd.ProcessState.ExitCode(); code != 0 {
			t.Errorf("%v: exit %d, want 0 (a clean stop)", sig, code)
		}
		if strings.Contains(stderr.String(), "ERR") {
			t.Errorf("%v: a clean stop logged at error level:\n%s", sig, stderr.String())
		}
	}
}

// TestSecondSignalExitsAtOnce: the first SIGINT starts a graceful stop —
// here `serve --http` waits for an open client stream to end — and a second
// one exits at once with 128+N.
func TestSecondSignalExitsAtOnce(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("POSIX signals")
	}
	for _, tt := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		s := startHTTPServe(t)
		cs, err := connectHTTP(t, s.url, "") // keeps a GET stream open: shutdown waits up to 5 s for it
		if err != nil {
			t.Fatal(err)
		}
		_ = cs
		s.cmd.Process.Signal(tt.sig)
		select {
		case <-s.exited:
			t.Skipf("serve stopped at the first signal (nothing to wait for): %s", s.stderr.String())
		case <-time.After(300 * time.Millisecond):
		}
		start := time.Now()
		s.cmd.Process.Signal(tt.sig)
		select {
		case <-s.exited:
		case <-time.After(3 * time.Second):
			t.Fatalf("a second %v did not end mcpmend: %s", tt.sig, s.stderr.String())
		}
		if code := s.cmd.ProcessState.ExitCode(); code != tt.code {
			t.Errorf("second %v: exit %d, want %d", tt.sig, code, tt.code)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("second %v took %s", tt.sig, d)
		}
		if !strings.Contains(s.stderr.String(), "second signal") {
			t.Errorf("no word about the second signal: %s", s.stderr.String())
		}
	}
}

// TestInterruptedCommandExitCode: a command other than serve that a signal
// cancels exits 128+N with one line saying so.
func TestInterruptedCommandExitCode(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("POSIX signals")
	}
	// A remote server that accepts and never answers: the probe waits.
	hang := make(chan struct{})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	})}
	ln := listenLoopback(t)
	go srv.Serve(ln)
	t.Cleanup(func() { close(hang); srv.Close() })
	home := t.TempDir()
	cfg := `{"mcpServers":{"slow":{"type":"http","url":"http://` + ln.Addr().String() + `/mcp"}}}`
	if err := os.WriteFile(filepath.Join(home, ".claude.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}, {syscall.SIGHUP, 129}} {
		cmd := exec.Command(binary, "probe", "slow", "--timeout", "60s")
		cmd.Env = homeEnv(home)
		var stderr lockedBuffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond) // the probe is waiting on the server
		cmd.Process.Signal(tt.sig)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("%v did not stop probe", tt.sig)
		}
		if code := cmd.ProcessState.ExitCode(); code != tt.code {
			t.Errorf("%v: exit %d, want %d; stderr %s", tt.sig, code, tt.code, stderr.String())
		}
		if !strings.Contains(stderr.String(), "interrupted by") {
			t.Errorf("%v: stderr %q does not say it was interrupted", tt.sig, stderr.String())
		}
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not met in 20 s")
}

func listenLoopback(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}
