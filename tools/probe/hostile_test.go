package probe

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mcpmend/mcpmend/registry"
)

// rawServer accepts TCP connections on 127.0.0.1 and hands each to serve.
func rawServer(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				serve(c)
			}()
		}
	}()
	return "http://" + l.Addr().String() + "/mcp"
}

// endless writes filler until the peer goes away.
func endless(w interface{ Write([]byte) (int, error) }, chunk string) {
	b := []byte(strings.Repeat(chunk, 64<<10/len(chunk)))
	for {
		if _, err := w.Write(b); err != nil {
			return
		}
	}
}

// TestHostileRemotes: servers that answer with what no client should have
// to hold — each probe ends in time with a failure verdict, never ok.
func TestHostileRemotes(t *testing.T) {
	endlessJSON := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"jsonrpc":"2.0","id":1,"result":{"x":"`))
		endless(w, "A")
	})).URL + "/mcp"
	endlessError := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusInternalServerError)
		endless(w, "error ")
	})).URL + "/mcp"
	hugeHeaders := rawServer(t, func(c net.Conn) {
		bufio.NewReader(c).ReadString('\n')
		c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"))
		line := "X-Filler: " + strings.Repeat("h", 8000) + "\r\n"
		for i := 0; i < 10<<20/len(line); i++ {
			if _, err := c.Write([]byte(line)); err != nil {
				return
			}
		}
		c.Write([]byte("\r\n{}"))
	})
	garbage := rawServer(t, func(c net.Conn) {
		bufio.NewReader(c).ReadString('\n')
		c.Write([]byte("garbage not http\r\n\r\n"))
	})
	closeOnAccept := rawServer(t, func(c net.Conn) {})
	for _, tc := range []struct {
		name, url string
		want      Verdict
	}{
		{"endless application/json body", endlessJSON, ProtocolError},
		{"endless error body", endlessError, ServerError},
		{"10 MB of headers", hugeHeaders, ProtocolError},
		{"garbage not http", garbage, ProtocolError},
		{"close on accept", closeOnAccept, ProtocolError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			opts := quick()
			opts.Timeout = 15 * time.Second // a bound, not a wait: each ends in well under a second when the machine is idle
			r := Probe(context.Background(), remoteServer(tc.name, registry.HTTP, tc.url, "Authorization", "Bearer "+canary), opts)
			checkResult(t, r, tc.want)
			if d := time.Since(start); d > opts.Timeout+2*time.Second {
				t.Errorf("probe took %s, past its %s deadline", d, opts.Timeout)
			}
		})
	}
}

// TestWindowsRefusalIsUnreachable: WSAECONNREFUSED (10061) as net/http
// wraps it on Windows is a refused connection, not an unknown error.
func TestWindowsRefusalIsUnreachable(t *testing.T) {
	for _, errno := range []syscall.Errno{10061, 10065, 10051, 10054, 10060} {
		err := fmt.Errorf("sending \"initialize\": %w", &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connectex", errno)})
		p := newProber(remoteServer("x", registry.HTTP, "http://127.0.0.1:1/mcp"), quick().withDefaults())
		if !p.netVerdict(PhaseHandshake, err) || p.r.Verdict != Unreachable {
			t.Errorf("errno %d: verdict %q, want unreachable", errno, p.r.Verdict)
		}
	}
}

// TestUnclassifiedIsNeverOK: a probe that set no failure and did not see
// initialize and tools/list succeed is a protocol_error.
func TestUnclassifiedIsNeverOK(t *testing.T) {
	p := newProber(remoteServer("x", registry.HTTP, "http://127.0.0.1:1/mcp"), quick().withDefaults())
	p.phase(PhaseHandshake, time.Millisecond, errors.New("something odd"), nil)
	p.settle()
	if p.r.Verdict != ProtocolError || p.r.Phase != PhaseHandshake {
		t.Fatalf("verdict %s in %s, want protocol_error in handshake", p.r.Verdict, p.r.Phase)
	}
}

// TestMetadataGuard: the OAuth metadata fetch that runs without the SDK's
// guard never dials link-local or metadata addresses, directly or through
// a redirect from a loopback server.
func TestMetadataGuard(t *testing.T) {
	for addr, want := range map[string]bool{"169.254.169.254:80": true, "[fe80::1]:80": true, "100.100.100.200:80": true,
		"[fd00:ec2::254]:80": true, "127.0.0.1:80": false, "93.184.216.34:443": false, "[::ffff:169.254.169.254]:80": true} {
		if got := refuseMetadata("tcp", addr, nil) != nil; got != want {
			t.Errorf("refuseMetadata(%s) refused = %v, want %v", addr, got, want)
		}
	}
	redirect := serve(t, http.RedirectHandler("http://169.254.169.254/latest/meta-data/", http.StatusFound)).URL
	base := probeTransport(refuseMetadata)
	defer base.CloseIdleConnections()
	hc := &http.Client{Transport: cappedTransport{base}, Timeout: 2 * time.Second}
	_, err := fetchUnguarded[map[string]any](context.Background(), hc, redirect+"/.well-known/oauth-authorization-server")
	if !errors.Is(err, errForbiddenAddress) {
		t.Fatalf("redirect into the metadata service: err = %v, want it refused", err)
	}
}

// TestWindowsEnvFold: on Windows a lookup of PATH finds Path, and a
// configured PATH replaces the inherited Path instead of losing to it.
func TestWindowsEnvFold(t *testing.T) {
	env := map[string]string{"Path": `C:\Windows;C:\node`, "SystemRoot": `C:\Windows`}
	if v, ok := envGet(env, "PATH", "windows"); !ok || v != `C:\Windows;C:\node` {
		t.Errorf("windows PATH lookup = %q %v", v, ok)
	}
	if _, ok := envGet(env, "PATH", "linux"); ok {
		t.Error("linux found PATH under Path")
	}
	envSet(env, "PATH", `D:\tools`, "windows")
	if len(env) != 2 || env["PATH"] != `D:\tools` {
		t.Errorf("after setting PATH on windows: %v", env)
	}
	missing := map[string]bool{}
	if got := expandVarsOS("${systemroot}/x", env, missing, "windows"); got != `C:\Windows/x` {
		t.Errorf("windows expansion = %q", got)
	}
	if got := expandVarsOS("${systemroot}/x", env, missing, "linux"); got != "${systemroot}/x" || !missing["systemroot"] {
		t.Errorf("linux expansion = %q", got)
	}
}

// TestWindowsHelperCmdLine: the helper's command goes to cmd.exe verbatim,
// quotes included, as Node's exec passes it.
func TestWindowsHelperCmdLine(t *testing.T) {
	got := windowsHelperCmdLine(`"C:\tools\hdr.cmd" --for "my server"`)
	if want := `cmd.exe /d /s /c ""C:\tools\hdr.cmd" --for "my server""`; got != want {
		t.Errorf("cmd line = %s, want %s", got, want)
	}
}

// TestStartupTimeouts: each client's own patience.
func TestStartupTimeouts(t *testing.T) {
	cc := registry.Server{Client: registry.ClaudeCode}
	codex := registry.Server{Client: registry.Codex, Raw: registry.Raw{Entry: `{"command":"x","startup_timeout_sec":45}`}}
	for _, tc := range []struct {
		s    registry.Server
		env  map[string]string
		want time.Duration
	}{
		{cc, nil, 30 * time.Second},
		{cc, map[string]string{"MCP_TIMEOUT": "2500"}, 2500 * time.Millisecond},
		{codex, nil, 45 * time.Second},
		{registry.Server{Client: registry.Codex}, nil, 10 * time.Second},
		{registry.Server{Client: registry.Gemini}, nil, maxStartup},
		{registry.Server{Client: registry.Cursor}, nil, 60 * time.Second},
	} {
		if got, src := StartupTimeout(tc.s, tc.env); got != tc.want || src == "" {
			t.Errorf("%s %v: %s (%s), want %s", tc.s.Client, tc.env, got, src, tc.want)
		}
	}
	// The probe reports it and waits that long: MCP_TIMEOUT=600 ms makes a
	// server that starts in 2 s a timeout about start-up.
	opts := Options{Grace: 200 * time.Millisecond, Environ: append(os.Environ(), "MCP_TIMEOUT=600")}
	r := Probe(context.Background(), stdioServer(t, "slow", "PROBE_DELAY", "2s"), opts)
	checkResult(t, r, Timeout)
	if r.TimeoutMS != 600 || !strings.Contains(r.TimeoutSource, "MCP_TIMEOUT") || !strings.Contains(r.Summary, "did not finish starting") {
		t.Errorf("timeout %d ms from %q, summary %q", r.TimeoutMS, r.TimeoutSource, r.Summary)
	}
}

// TestStartSlots: with one start slot, six servers that each take 1 s to
// start all succeed under a 4.5 s timeout, though starting them one after
// another takes more than 6 s: a probe's clock starts when its server may
// start, not while it waits for a sibling.
func TestStartSlots(t *testing.T) {
	var servers []registry.Server
	for i := 0; i < 6; i++ {
		s := stdioServer(t, "slow", "PROBE_DELAY", "1s")
		s.Name = "slow" + strconv.Itoa(i)
		servers = append(servers, s)
	}
	rs := ProbeAll(context.Background(), servers, Options{Timeout: 4500 * time.Millisecond, Grace: 200 * time.Millisecond, Starts: 1}, nil)
	for _, r := range rs {
		checkResult(t, r, OK)
	}
}

// TestCauseLine picks what explains a failure from a stderr tail.
func TestCauseLine(t *testing.T) {
	for tail, want := range map[string]string{
		"npm error code E404\nnpm error 404 Not Found - GET https://registry.npmjs.org/nope\nnpm error A complete log of this run can be found in: /x.log": "npm error code E404 — npm error 404 Not Found - GET https://registry.npmjs.org/nope",
		"Connecting to remote server...\nError: connect ECONNREFUSED 127.0.0.1:9\n    at TCPConnectWrap.afterConnect\n}":                                   "Error: connect ECONNREFUSED 127.0.0.1:9",
		"sh: 1: uvx: command not found":                                "sh: 1: uvx: command not found",
		"starting\nserver ready\n}\n":                                  "server ready",
		"Error: Cannot access directory /home/u/no-such-dir\n  at x\n": "Error: Cannot access directory /home/u/no-such-dir",
		"Warning: Cannot access directory /tmp/gone, skipping\nError: None of the specified directories are accessible":                                                                     "Warning: Cannot access directory /tmp/gone, skipping — Error: None of the specified directories are accessible",
		"/app/crash.mjs:5\n  const err = new Error(\"KEY is required\");\n  ^\n\nError: KEY is required\n    at file:///app/crash.mjs:5:15\n    at x {\n  code: 'E'\n}\n\nNode.js v20.20.2": "Error: KEY is required",
	} {
		if got := causeLine(tail); got != want {
			t.Errorf("causeLine(%q) = %q, want %q", tail, got, want)
		}
	}
}

// TestInert: control characters never reach a result.
func TestInert(t *testing.T) {
	for in, want := range map[string]string{
		"ok":                  "ok",
		"a\x1b[31mb":          "a\uFFFD[31mb",
		"x\u009by\x7f":        "x\uFFFDy\uFFFD",
		"line1\nline2\tx\x07": "line1\nline2\tx\uFFFD",
	} {
		if got := inert(in, true); got != want {
			t.Errorf("inert(%q) = %q, want %q", in, got, want)
		}
	}
	if got := inert("a\nb", false); got != "a\uFFFDb" {
		t.Errorf("one-line inert = %q", got)
	}
}
