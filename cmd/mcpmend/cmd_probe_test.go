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

// TestProbeCommand runs `mcpmend probe` in-process against a loopback MCP
// server: exit 0 when every probe is ok, 1 when one failed, JSON that
// parses, and no progress bar when stderr is not a terminal.
func TestProbeCommand(t *testing.T) {
	srv := loopbackMCP(t)
	home := t.TempDir()
	cfg := `{"mcpServers":{"up":{"type":"http","url":"` + srv.URL + `"},"down":{"command":"mcpmend-test-missing"}}}`
	if err := os.WriteFile(filepath.Join(home, ".claude.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args     []string
		code     int
		contains string
	}{
		{[]string{"probe", "up", "--home", home}, 0, "cli-target 1"},
		{[]string{"--home", home, "probe", "--all", "--timeout", "5s"}, 1, "1 of 2 probes failed"},
		{[]string{"--home", home, "probe", "down"}, 1, "command_not_found"},
		{[]string{"--home", home, "probe"}, 2, ""}, // usage error
		{[]string{"--home", home, "probe", "upp"}, 1, ""},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		code := run(context.Background(), tt.args, strings.NewReader(""), &out, &errb)
		if code != tt.code || !strings.Contains(out.String(), tt.contains) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit %d and %q", tt.args, code, out.String(), errb.String(), tt.code, tt.contains)
		}
		if strings.Contains(errb.String(), "\r") {
			t.Errorf("%v: a progress bar was drawn on a non-terminal: %q", tt.args, errb.String())
		}
	}
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"probe", "--all", "--json", "--home", home}, strings.NewReader(""), &out, &errb); code != 1 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var res struct {
		Results []struct{ Name, Verdict string }
		Failed  int
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("probe --json does not parse: %v\n%s", err, out.String())
	}
	if len(res.Results) != 2 || res.Results[0].Name != "down" || res.Results[1].Verdict != "ok" || res.Failed != 1 {
		t.Errorf("results = %+v", res)
	}
}
