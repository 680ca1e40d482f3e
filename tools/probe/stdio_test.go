package probe

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mcpmend/mcpmend/registry"
)

// TestStdioVerdicts probes real processes — the test binary re-executed
// with one behaviour each — and checks the verdict and its evidence.
func TestStdioVerdicts(t *testing.T) {
	missing := stdioServer(t, "healthy")
	missing.Command = "mcpmend-no-such-command"
	noCommand := stdioServer(t, "healthy")
	noCommand.Command = ""
	badDir := stdioServer(t, "healthy")
	badDir.Cwd = filepath.Join(t.TempDir(), "gone")

	tests := []struct {
		name   string
		server registry.Server
		opts   func(*Options)
		want   Verdict
		check  func(t *testing.T, r Result)
	}{
		{name: "healthy", server: stdioServer(t, "healthy"), want: OK, check: func(t *testing.T, r Result) {
			if r.Server == nil || r.Server.Name != "probe-test" || r.Server.ToolCount != 3 {
				t.Fatalf("server info = %+v, want probe-test with 3 tools", r.Server)
			}
			if strings.Join(r.Server.Tools, ",") != "echo,reverse,shout" {
				t.Errorf("tools = %v", r.Server.Tools)
			}
			for _, ph := range []string{PhaseConfig, PhaseConnect, PhaseHandshake, PhaseTools, PhasePing} {
				if p := phaseNamed(r, ph); p == nil || !p.OK {
					t.Errorf("phase %s missing or failed: %+v", ph, r.Phases)
				}
			}
			if hs := phaseNamed(r, PhaseHandshake); len(hs.Steps) == 0 || hs.Steps[0].Method != "server/discover" {
				t.Errorf("handshake steps = %+v, want server/discover first", hs.Steps)
			}
			if r.Process.ExitCode != nil {
				t.Errorf("a server closed by the probe reported its own exit: %+v", r.Process)
			}
		}},
		{name: "slow but in time", server: stdioServer(t, "slow", "PROBE_DELAY", "700ms"), want: OK, check: func(t *testing.T, r Result) {
			if hs := phaseNamed(r, PhaseHandshake); hs.MS < 600 {
				t.Errorf("handshake took %.1f ms; the server slept 700 ms before serving", hs.MS)
			}
		}},
		{name: "slow past the timeout", server: stdioServer(t, "slow", "PROBE_DELAY", "3s"), opts: func(o *Options) { o.Timeout = 800 * time.Millisecond }, want: Timeout, check: func(t *testing.T, r Result) {
			if r.Phase != PhaseHandshake {
				t.Errorf("phase = %s, want handshake", r.Phase)
			}
		}},
		{name: "hanging, ignoring SIGTERM", server: stdioServer(t, "hang"), opts: func(o *Options) { o.Timeout = 500 * time.Millisecond }, want: Timeout},
		{name: "crash with stderr", server: stdioServer(t, "crash"), want: Crashed, check: func(t *testing.T, r Result) {
			if r.Process.ExitCode == nil || *r.Process.ExitCode != 3 {
				t.Errorf("exit code = %v, want 3", r.Process.ExitCode)
			}
			if !strings.Contains(r.Process.StderrTail, "fatal: upstream rejected API key [redacted]") {
				t.Errorf("stderr tail = %q, want the fatal line with the key redacted", r.Process.StderrTail)
			}
			if !strings.Contains(r.Summary, "code 3") || !strings.Contains(r.Summary, "fatal:") {
				t.Errorf("summary = %q, want the exit code and the last stderr line", r.Summary)
			}
		}},
		// Claude Code's SDK skips lines that are not JSON-RPC: so does the probe.
		{name: "logs on stdout", server: stdioServer(t, "garbage"), want: OK, check: func(t *testing.T, r Result) {
			if r.Process.StdoutNoiseLines != 1 || r.Process.StdoutNoise[0] != "Server listening on stdio, ready!" {
				t.Errorf("stdout noise = %d %q", r.Process.StdoutNoiseLines, r.Process.StdoutNoise)
			}
			if len(r.Notes) == 0 || !strings.Contains(strings.Join(r.Notes, " "), "prints logs on stdout") {
				t.Errorf("notes = %q, want the stdout warning", r.Notes)
			}
		}},
		{name: "JSON logs and escapes on stdout", server: stdioServer(t, "noisy"), want: OK, check: func(t *testing.T, r Result) {
			if r.Process.StdoutNoiseLines != 3 || strings.ContainsRune(strings.Join(r.Process.StdoutNoise, ""), 0x1b) {
				t.Errorf("stdout noise = %d %q", r.Process.StdoutNoiseLines, r.Process.StdoutNoise)
			}
			if r.Server == nil || r.Server.ToolCount != 3 {
				t.Errorf("server = %+v", r.Server)
			}
		}},
		{name: "exits at once", server: stdioServer(t, "exit0"), want: Crashed, check: func(t *testing.T, r Result) {
			if r.Process.ExitCode == nil || *r.Process.ExitCode != 0 {
				t.Errorf("exit code = %v, want 0", r.Process.ExitCode)
			}
			if !strings.Contains(r.Summary, "without writing anything") {
				t.Errorf("summary = %q, want a quiet exit named", r.Summary)
			}
		}},
		{name: "Node stack trace", server: stdioServer(t, "stacktrace"), want: Crashed, check: func(t *testing.T, r Result) {
			if !strings.Contains(r.Summary, "Error: BRAVE_API_KEY environment variable is required") {
				t.Errorf("summary = %q, want the Error: line, not the stack's end", r.Summary)
			}
		}},
		{name: "server echoing its secret with escapes", server: stdioServer(t, "echo-secret"), want: ProtocolError, check: func(t *testing.T, r Result) {
			raw, _ := json.Marshal(r)
			for _, bad := range []string{"\\u001b", "\\u0007", "\u009b"} {
				if strings.Contains(string(raw), bad) {
					t.Errorf("a control character (%s) reached the result: %s", bad, raw)
				}
			}
			if r.Server == nil || !strings.HasPrefix(r.Server.Name, "srv [redacted]") {
				t.Errorf("server = %+v, want the echoed secret redacted", r.Server)
			}
			if !strings.Contains(r.Error, "bad key [redacted]") {
				t.Errorf("error = %q", r.Error)
			}
		}},
		{name: "missing command", server: missing, want: CommandNotFound, check: func(t *testing.T, r Result) {
			if r.Phase != PhaseConfig || !strings.Contains(r.Summary, "mcpmend-no-such-command") {
				t.Errorf("phase %s, summary %q", r.Phase, r.Summary)
			}
		}},
		{name: "no command", server: noCommand, want: ConfigError},
		{name: "missing working directory", server: badDir, want: ConfigError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := quick()
			if tt.opts != nil {
				tt.opts(&opts)
			}
			r := Probe(context.Background(), tt.server, opts)
			checkResult(t, r, tt.want)
			if tt.check != nil {
				tt.check(t, r)
			}
		})
	}
}

// TestStdioEnvironment checks the environment a server gets: the inherited
// one, the configured env over it, ${VAR} and ${VAR:-default} expanded as
// Claude Code expands them, and the working directory.
func TestStdioEnvironment(t *testing.T) {
	dir := t.TempDir()
	proj := filepath.Join(dir, "my-project")
	if err := os.Mkdir(proj, 0o755); err != nil {
		t.Fatal(err)
	}
	s := stdioServer(t, "healthy", "PROBE_NAME", "${NAME_FROM_PARENT}", "PROBE_VERSION", "${UNSET_VERSION:-4.5.6}")
	opts := quick()
	opts.Environ = append(os.Environ(), "NAME_FROM_PARENT=inherited-name")
	r := Probe(context.Background(), s, opts)
	checkResult(t, r, OK)
	if r.Server.Name != "inherited-name" || r.Server.Version != "4.5.6" {
		t.Errorf("server = %s %s, want inherited-name 4.5.6 (expanded from the parent env and a default)", r.Server.Name, r.Server.Version)
	}

	s = stdioServer(t, "healthy", "PROBE_NAME", "cwd", "PROBE_VERSION", "${NOT_SET_ANYWHERE}")
	s.Scope, s.Project = "project", proj
	r = Probe(context.Background(), s, quick())
	checkResult(t, r, OK)
	if r.Server.Name != "my-project" {
		t.Errorf("a project server ran in %q, want its project directory", r.Server.Name)
	}
	if r.Server.Version != "${NOT_SET_ANYWHERE}" || strings.Join(r.Process.UnsetVars, ",") != "NOT_SET_ANYWHERE" {
		t.Errorf("unset variable: version %q, unset %v; want the reference kept and reported", r.Server.Version, r.Process.UnsetVars)
	}
}

// TestStdioGrandchildIgnoringSIGTERM: the server forks a helper that ignores
// SIGTERM; after the probe neither may be running.
func TestStdioGrandchildIgnoringSIGTERM(t *testing.T) {
	if !processTable {
		t.Skip("needs /proc to check the process table")
	}
	pidfile := filepath.Join(t.TempDir(), "pid")
	marker := "grandchild-" + strconv.Itoa(os.Getpid())
	s := stdioServer(t, "grandchild", "PROBE_PIDFILE", pidfile, markerEnv, marker)
	r := Probe(context.Background(), s, quick())
	checkResult(t, r, OK)
	data, err := os.ReadFile(pidfile)
	if err != nil {
		t.Fatalf("the server did not fork its helper: %v", err)
	}
	pid, _ := strconv.Atoi(string(data))
	if left := waitLeftovers(marker, 2*time.Second); len(left) > 0 {
		t.Fatalf("processes outlived the probe: %v", left)
	}
	// SIGKILL was sent to the group before Probe returned, but a killed
	// process takes a moment to finish exiting: poll, as waitLeftovers does.
	for deadline := time.Now().Add(2 * time.Second); alive(pid); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("grandchild %d still alive 2s after the probe ended", pid)
		}
	}
}

// TestExpandVars pins Claude Code's expansion rules.
func TestExpandVars(t *testing.T) {
	env := map[string]string{"A": "1", "EMPTY": ""}
	tests := []struct{ in, want, missing string }{
		{"plain", "plain", ""},
		{"${A}", "1", ""},
		{"x${A}y${A}", "x1y1", ""},
		{"${EMPTY:-d}", "", ""}, // defined though empty: no default
		{"${B:-dflt}", "dflt", ""},
		{"${B:-}", "", ""},
		{"${B}", "${B}", "B"},
		{"$A ${1A} ${A-x}", "$A ${1A} ${A-x}", ""}, // not references
		{"${B:-a:-b}", "a:-b", ""},
	}
	for _, tt := range tests {
		missing := map[string]bool{}
		if got := expandVars(tt.in, env, missing); got != tt.want || strings.Join(sortedKeys(missing), ",") != tt.missing {
			t.Errorf("expandVars(%q) = %q missing %v, want %q missing %q", tt.in, got, sortedKeys(missing), tt.want, tt.missing)
		}
	}
}
