package integration

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// realProbe is the part of one `mcpmend probe --json` result these tests read.
type realProbe struct {
	Verdict, Summary, Phase string
	TimeoutMS               int64  `json:"timeout_ms"`
	TimeoutSource           string `json:"timeout_source"`
	Server                  *struct {
		Name      string
		ToolCount int `json:"tool_count"`
	}
	Process *struct {
		StderrTail       string   `json:"stderr_tail"`
		StdoutNoise      []string `json:"stdout_noise"`
		StdoutNoiseLines int      `json:"stdout_noise_lines"`
	}
	Bridge *struct {
		Kind, URL, Token string
	}
	Notes []string
}

// probeRun is one run of the built binary: its result, how long it took
// and the peak RSS of the mcpmend process (Linux: rusage maxrss).
type probeRun struct {
	r       realProbe
	raw     string
	elapsed time.Duration
	maxRSS  int64 // bytes; 0 where the OS does not say
}

// probeOne runs `mcpmend probe NAME --json` with HOME=home and extra
// environment variables.
func probeOne(t *testing.T, home, name string, extraEnv ...string) probeRun {
	t.Helper()
	return probeArgs(t, home, []string{name}, extraEnv...)
}

// probeArgs is probeOne with more arguments after the name.
func probeArgs(t *testing.T, home string, args []string, extraEnv ...string) probeRun {
	t.Helper()
	name := args[0]
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, append([]string{"probe", "--json"}, args...)...)
	cmd.Env = append(homeEnv(home), extraEnv...)
	cmd.Dir = home
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	rss := measureRSS(t, cmd)
	start := time.Now()
	err := cmd.Run()
	run := probeRun{raw: out.String(), elapsed: time.Since(start)}
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("probe %s: %v", name, err)
	}
	run.maxRSS = rss()
	var res struct{ Results []realProbe }
	if err := json.Unmarshal([]byte(run.raw), &res); err != nil || len(res.Results) != 1 {
		t.Fatalf("probe %s --json: %v\nstdout: %s\nstderr: %s", name, err, run.raw, errb.String())
	}
	run.r = res.Results[0]
	return run
}

// homeSnapshot lists every path under home with its mode, size and
// content hash: a probe must leave the home byte-identical.
func homeSnapshot(t *testing.T, home string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(home, func(p string, d fs.DirEntry, err error) error {
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
			sum = hex.EncodeToString(h[:8])
		}
		rel, _ := filepath.Rel(home, p)
		fmt.Fprintf(&b, "%s %s %d %s\n", rel, info.Mode(), info.Size(), sum)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestProbeWhatClaudeCodeSees reproduces the cases where a probe used to
// disagree with Claude Code, with real servers: a TypeScript-SDK server
// that logs on stdout (Claude Code connects: ok, with a warning), a slow
// starter (as long as MCP_TIMEOUT says), a Node crash naming its cause, the
// real server-filesystem given a missing directory, and mcp-remote in front
// of a loopback 401+OAuth server with an empty ~/.mcp-auth (needs a
// sign-in; mcp-remote is not started, nothing is registered or written).
// Every probe leaves the home byte-identical.
func TestProbeWhatClaudeCodeSees(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	mcpRemote := npmBin(t, "mcp-remote")
	fsServer := npmBin(t, "mcp-server-filesystem")
	td, _ := filepath.Abs(filepath.Join("testdata", "probe"))
	home := t.TempDir()
	os.MkdirAll(filepath.Join(home, ".mcp-auth"), 0o700)
	oauth := startOAuthServer(t, "signin", true)
	missing := filepath.Join(home, "no-such-dir")
	writeClaudeJSON(t, home, map[string]any{
		"noisy":       map[string]any{"command": node, "args": []string{filepath.Join(td, "noisy.mjs")}},
		"slow":        map[string]any{"command": node, "args": []string{filepath.Join(td, "noisy.mjs")}, "env": map[string]string{"PROBE_DELAY_MS": "2500"}},
		"crash":       map[string]any{"command": node, "args": []string{filepath.Join(td, "crash.mjs")}},
		"filesystem":  map[string]any{"command": fsServer, "args": []string{missing}, "env": map[string]string{"npm_config_cache": filepath.Join(home, ".npm")}},
		"remote":      map[string]any{"command": mcpRemote, "args": []string{oauth.MCPURL}},
		"remote-dead": map[string]any{"command": mcpRemote, "args": []string{"http://" + closedAddr(t) + "/mcp"}},
	})
	before := homeSnapshot(t, home)
	check := func(name string, run probeRun, want string) {
		t.Helper()
		if run.r.Verdict != want {
			t.Errorf("%s: verdict %s (%s), want %s\n%s", name, run.r.Verdict, run.r.Summary, want, run.raw)
		}
		if after := homeSnapshot(t, home); after != before {
			t.Errorf("%s: the probe changed the home:\nbefore:\n%s\nafter:\n%s", name, before, after)
		}
	}

	run := probeOne(t, home, "noisy")
	check("noisy", run, "ok")
	if run.r.Process == nil || run.r.Process.StdoutNoiseLines < 2 || run.r.Process.StdoutNoise[0] != "Starting Browser Tools MCP Server..." {
		t.Errorf("noisy: stdout noise not reported: %s", run.raw)
	}
	if run.r.Server == nil || run.r.Server.ToolCount != 3 {
		t.Errorf("noisy: server = %+v", run.r.Server)
	}

	run = probeOne(t, home, "slow", "MCP_TIMEOUT=1000")
	check("slow under MCP_TIMEOUT=1000", run, "timeout")
	if run.r.TimeoutMS != 1000 || !strings.Contains(run.r.TimeoutSource, "MCP_TIMEOUT") || !strings.Contains(run.r.Summary, "did not finish starting") {
		t.Errorf("slow: timeout %d from %q, summary %q", run.r.TimeoutMS, run.r.TimeoutSource, run.r.Summary)
	}
	run = probeOne(t, home, "slow")
	check("slow under Claude Code's default 30 s", run, "ok")
	if run.r.TimeoutMS != 30000 {
		t.Errorf("slow: timeout %d ms from %q, want Claude Code's 30 s", run.r.TimeoutMS, run.r.TimeoutSource)
	}

	run = probeOne(t, home, "crash")
	check("crash", run, "crashed")
	if !strings.Contains(run.r.Summary, "Error: BRAVE_API_KEY environment variable is required") {
		t.Errorf("crash: summary %q does not name the cause", run.r.Summary)
	}

	run = probeOne(t, home, "filesystem")
	check("filesystem", run, "crashed")
	if !strings.Contains(run.r.Summary, missing) && !strings.Contains(run.r.Summary, "no-such-dir") {
		t.Errorf("filesystem: summary %q does not name the missing directory readably", run.r.Summary)
	}
	if strings.Contains(run.raw, "[redacted]/no-such-dir") {
		t.Errorf("filesystem: the working directory was redacted: %s", run.raw)
	}

	oauth.ForgetRequests()
	run = probeOne(t, home, "remote")
	check("mcp-remote", run, "auth_required")
	if run.r.Bridge == nil || run.r.Bridge.Kind != "mcp-remote" || run.r.Bridge.Token != "none" || !strings.Contains(run.r.Summary, "needs OAuth sign-in") {
		t.Errorf("mcp-remote: %s", run.raw)
	}
	for _, r := range oauth.Requests() {
		if r.Path == "/register" || r.Path == "/authorize" || r.Path == "/token" {
			t.Errorf("mcp-remote: the probe sent %s %s: it must not register or sign in", r.Method, r.Path)
		}
	}

	// A bridge to nothing is unreachable, dialled directly (home unchanged)
	// and — only when the user allows it — with mcp-remote itself started,
	// its connection error read from its stderr.
	run = probeOne(t, home, "remote-dead")
	check("mcp-remote to a closed port", run, "unreachable")
	run = probeArgs(t, home, []string{"remote-dead", "--allow-side-effects"}, "BROWSER=true")
	if run.r.Verdict != "unreachable" || run.r.Bridge != nil || !strings.Contains(run.r.Summary, "ECONNREFUSED") {
		t.Errorf("mcp-remote started: verdict %s (%s), want unreachable naming ECONNREFUSED", run.r.Verdict, run.r.Summary)
	}
}

// closedAddr is a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestProbeHostileServersBounded: servers built to exhaust a client — an
// endless application/json body, an endless error body, 10 MB of headers,
// `garbage not http`, a socket closed on accept, and a stdio server whose
// helper escapes with setsid — each probe of the built binary ends within
// its deadline, with peak RSS under 100 MB, a failure verdict where the
// server is broken, and no process left.
func TestProbeHostileServersBounded(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("peak RSS and leftovers are read from Linux")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	td, _ := filepath.Abs(filepath.Join("testdata", "probe"))
	marker := "probe-hostile-" + strconv.Itoa(os.Getpid())
	endless := func(w http.ResponseWriter, ct string, status int) {
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(status)
		chunk := []byte(strings.Repeat("A", 64<<10))
		for {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}
	jsonURL := httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { endless(w, "application/json", 200) }))
	errURL := httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { endless(w, "text/plain", 500) }))
	headersURL := tcpServer(t, func(c net.Conn) {
		bufio.NewReader(c).ReadString('\n')
		c.Write([]byte("HTTP/1.1 200 OK\r\n"))
		line := []byte("X-Filler: " + strings.Repeat("h", 8000) + "\r\n")
		for i := 0; i < 10<<20/len(line); i++ {
			if _, err := c.Write(line); err != nil {
				return
			}
		}
	})
	garbageURL := tcpServer(t, func(c net.Conn) {
		bufio.NewReader(c).ReadString('\n')
		c.Write([]byte("garbage not http\r\n\r\n"))
	})
	closeURL := tcpServer(t, func(net.Conn) {})
	home := t.TempDir()
	writeClaudeJSON(t, home, map[string]any{
		"endless-json":    map[string]any{"type": "http", "url": jsonURL},
		"endless-error":   map[string]any{"type": "http", "url": errURL},
		"huge-headers":    map[string]any{"type": "http", "url": headersURL},
		"garbage":         map[string]any{"type": "http", "url": garbageURL},
		"close-on-accept": map[string]any{"type": "http", "url": closeURL},
		"setsid-child": map[string]any{"command": "/bin/sh", "args": []string{"-c", "setsid sleep 600 & exec " + node + " " + filepath.Join(td, "noisy.mjs")},
			"env": map[string]string{"MCPMEND_IT_PROBE": marker}},
	})
	before := homeSnapshot(t, home)
	for name, want := range map[string]string{"endless-json": "protocol_error", "endless-error": "server_error", "huge-headers": "protocol_error",
		"garbage": "protocol_error", "close-on-accept": "protocol_error", "setsid-child": "ok"} {
		run := probeOne(t, home, name, "MCP_TIMEOUT=8000")
		if run.r.Verdict != want {
			t.Errorf("%s: verdict %s (%s), want %s", name, run.r.Verdict, run.r.Summary, want)
		}
		if run.elapsed > 8*time.Second+5*time.Second {
			t.Errorf("%s: the probe took %s, past its 8 s deadline", name, run.elapsed)
		}
		if run.maxRSS > 100<<20 {
			t.Errorf("%s: peak RSS %d MB, want under 100 MB", name, run.maxRSS>>20)
		}
		t.Logf("%s: %s in %s, peak RSS %.1f MB", name, run.r.Verdict, run.elapsed.Round(time.Millisecond), float64(run.maxRSS)/(1<<20))
	}
	if left := probeLeftovers(marker, 3*time.Second); len(left) > 0 {
		t.Errorf("processes outlived the probe: %v", left)
	}
	if after := homeSnapshot(t, home); after != before {
		t.Errorf("the probes changed the home:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// httpServer serves h on 127.0.0.1 until the test ends and returns its /mcp URL.
func httpServer(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String() + "/mcp"
}

// tcpServer hands every connection on a 127.0.0.1 port to serve and returns
// an http URL for it.
func tcpServer(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				serve(c)
			}()
		}
	}()
	return "http://" + ln.Addr().String() + "/mcp"
}
