// Package integration tests the built mcpmend binary end to end against real
// peers: the go-sdk client over stdio, real MCP servers, the real Claude Code
// CLI and real Chromium where a test says so.
package integration

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// binary is the mcpmend binary built once for the whole package.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mcpmend-integration-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "mcpmend")
	if runtime.GOOS == "windows" {
		binary += ".exe"
	}
	build := exec.Command("go", "build", "-o", binary, "../cmd/mcpmend")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building mcpmend:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// npmBin returns the path of an npm-installed executable from
// integration/node_modules/.bin (what .ci/run installs), else from PATH; it
// skips the test, naming the missing program, when neither has it.
func npmBin(t testing.TB, name string) string {
	t.Helper()
	if p, err := filepath.Abs(filepath.Join("node_modules", ".bin", name)); err == nil {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	t.Skipf("%s is not installed: run `cd integration && npm ci` (as .ci/run does)", name)
	return ""
}

// runCLI runs the binary with args and an isolated environment (HOME and
// XDG dirs inside home) and returns stdout, stderr and the exit code.
func runCLI(t testing.TB, home string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return runCLIIn(t, home, "", args...)
}

// runCLIIn is runCLI with the working directory set to dir ("" keeps the
// test's), for commands whose answer depends on the project they run in.
func runCLIIn(t testing.TB, home, dir string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = homeEnv(home)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running mcpmend %v: %v", args, err)
	}
	return out.String(), errb.String(), code
}

// homeEnv is the process environment with HOME and the XDG directories moved
// into home, so nothing of the real user's profile is read or written.
func homeEnv(home string) []string {
	env := []string{}
	for _, kv := range os.Environ() {
		switch {
		case hasPrefix(kv, "HOME="), hasPrefix(kv, "XDG_"), hasPrefix(kv, "CLAUDE_CONFIG_DIR="),
			hasPrefix(kv, "APPDATA="), hasPrefix(kv, "LOCALAPPDATA="), hasPrefix(kv, "CODEX_HOME="),
			hasPrefix(kv, "MCP_REMOTE_CONFIG_DIR="):
			continue
		}
		env = append(env, kv)
	}
	return append(env, "HOME="+home, "USERPROFILE="+home, "NO_COLOR=1",
		"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1", "DISABLE_TELEMETRY=1", "DISABLE_AUTOUPDATER=1")
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }

// connect starts `mcpmend serve` with the given home and returns a client
// session to it over stdio, closed when the test ends.
func connect(t testing.TB, home string, extraArgs ...string) *mcp.ClientSession {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.Command(binary, append([]string{"serve"}, extraArgs...)...)
	cmd.Env = homeEnv(home)
	cmd.Stderr = &testWriter{t: t}
	client := mcp.NewClient(&mcp.Implementation{Name: "integration-test", Version: "1"}, nil)
	cs, err := client.Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatalf("connecting to mcpmend serve: %v", err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

// testWriter sends a child's stderr to the test log.
type testWriter struct{ t testing.TB }

func (w *testWriter) Write(p []byte) (int, error) {
	w.t.Logf("mcpmend stderr: %s", bytes.TrimRight(p, "\n"))
	return len(p), nil
}
