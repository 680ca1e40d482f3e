package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
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
