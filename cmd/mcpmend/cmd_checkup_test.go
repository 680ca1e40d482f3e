package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestCheckupCommand runs `mcpmend checkup` and `mcpmend diagnose`
// in-process: exit 0 when nothing is an error, 1 when something is, JSON
// that parses, and clear errors for bad arguments.
func TestCheckupCommand(t *testing.T) {
	srv := loopbackMCP(t)
	healthy, broken := t.TempDir(), t.TempDir()
	write := func(home, cfg string) {
		if err := os.WriteFile(filepath.Join(home, ".claude.json"), []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(healthy, `{"mcpServers":{"up":{"type":"http","url":"`+srv.URL+`"}}}`)
	write(broken, `{"mcpServers":{"up":{"type":"http","url":"`+srv.URL+`"},"down":{"command":"mcpmend-test-missing"}}}`)
	tests := []struct {
		args     []string
		code     int
		contains string
	}{
		{[]string{"checkup", "--home", healthy}, 0, "ok       up"},
		{[]string{"--home", broken, "checkup", "--timeout", "5s"}, 1, "command-not-found"},
		{[]string{"--home", broken, "checkup", "--no-probe"}, 1, "command-not-found"}, // looked up on PATH, not started
		{[]string{"--home", healthy, "checkup", "--no-probe"}, 0, "probing was turned off"},
		{[]string{"--home", broken, "checkup", "--client", "cursor"}, 0, "No MCP servers to check"},
		{[]string{"--home", broken, "checkup", "down"}, 2, ""},
		{[]string{"--home", broken, "diagnose", "down"}, 1, "→ install mcpmend-test-missing"},
		{[]string{"--home", broken, "diagnose", "up"}, 0, "Verdict: OK"},
		{[]string{"--home", broken, "diagnose"}, 2, ""},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		code := run(context.Background(), tt.args, strings.NewReader(""), &out, &errb)
		if code != tt.code || !strings.Contains(out.String(), tt.contains) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit %d and %q", tt.args, code, out.String(), errb.String(), tt.code, tt.contains)
		}
	}
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"checkup", "--json", "--home", broken}, strings.NewReader(""), &out, &errb); code != 1 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var res struct {
		Status  string
		Servers []struct{ Status string }
		Counts  struct{ Servers, OK, Error int }
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("checkup --json does not parse: %v\n%s", err, out.String())
	}
	if res.Status != "error" || res.Counts.Servers != 2 || res.Counts.OK != 1 || res.Counts.Error != 1 {
		t.Errorf("checkup --json = %+v", res)
	}
}

// TestCheckupSmallCases: on a machine with nothing configured checkup says
// where it looked; a Desktop url entry (Desktop skips it) is a warning and
// checkup exits 0; --no-probe finds a missing command without starting
// anything, and human output names commands, never tools.
func TestCheckupSmallCases(t *testing.T) {
	empty := t.TempDir()
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"--home", empty, "checkup"}, strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("empty home: exit %d: %s", code, errb.String())
	}
	for _, w := range []string{"Looked in:", filepath.Join(empty, ".claude.json"), "Claude Desktop", "Zed", "not found"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("empty home: checkup lacks %q:\n%s", w, out.String())
		}
	}

	home := t.TempDir()
	desktop := filepath.Join(home, ".config", "Claude")
	if runtime.GOOS == "darwin" {
		desktop = filepath.Join(home, "Library", "Application Support", "Claude")
	} else if runtime.GOOS == "windows" {
		t.Skip("APPDATA layout")
	}
	if err := os.MkdirAll(desktop, 0o755); err != nil {
		t.Fatal(err)
	}
	marker := filepath.Join(home, "started")
	cfg := `{"mcpServers":{"remote":{"url":"https://mcp.example/mcp"},"gone":{"command":"mcpmend-test-missing"},"present":{"command":"sh","args":["-c","touch ` + marker + `"]}}}`
	if err := os.WriteFile(filepath.Join(desktop, "claude_desktop_config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if code := run(context.Background(), []string{"--home", home, "checkup", "--client", "claude-desktop", "--no-probe"}, strings.NewReader(""), &out, &errb); code != 1 ||
		!strings.Contains(out.String(), "warning config-ignored") || !strings.Contains(out.String(), "error command-not-found") {
		t.Errorf("--no-probe: exit %d (want 1: the missing command):\n%s", code, out.String())
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("--no-probe started something")
	}
	if strings.Contains(out.String(), "diagnose_server") || !strings.Contains(out.String(), "`mcpmend diagnose NAME`") {
		t.Errorf("human checkup names a tool or lacks the command:\n%s", out.String())
	}
	if err := os.WriteFile(filepath.Join(desktop, "claude_desktop_config.json"), []byte(`{"mcpServers":{"remote":{"url":"https://mcp.example/mcp"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if code := run(context.Background(), []string{"--home", home, "checkup", "--no-probe"}, strings.NewReader(""), &out, &errb); code != 0 || !strings.Contains(out.String(), "WARNING") {
		t.Errorf("a Desktop url entry alone: exit %d (want 0, a warning):\n%s", code, out.String())
	}
}
