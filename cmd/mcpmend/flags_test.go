package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOneArgumentCommands: the commands about one server or one reset take
// exactly one positional argument, before or after their flags, and say
// which (with the usage) otherwise, changing nothing.
func TestOneArgumentCommands(t *testing.T) {
	home := t.TempDir()
	cfg := `{"mcpServers":{"docs":{"type":"http","url":"http://127.0.0.1:1/mcp"}}}`
	if err := os.WriteFile(filepath.Join(home, ".claude.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args     []string
		code     int
		out, err string
	}{
		{[]string{"state"}, 1, "", "give exactly one server name (mcpmend state NAME)"},
		{[]string{"state", "docs", "other"}, 1, "", "give exactly one server name (mcpmend state NAME)"},
		{[]string{"state", "--client", "claude-code", "docs"}, 0, "docs", ""},
		{[]string{"state", "docs", "--scope", "user"}, 0, "docs", ""},
		{[]string{"reset"}, 1, "", "give exactly one server name (mcpmend reset NAME)"},
		{[]string{"reset", "docs", "--dry-run", "docs"}, 1, "", "give exactly one server name (mcpmend reset NAME)"},
		{[]string{"reset", "docs", "--dry-run"}, 0, "docs", ""},
		{[]string{"undo"}, 1, "", "give exactly one reset id (mcpmend undo ID; mcpmend status lists them)"},
		{[]string{"undo", "a", "b"}, 1, "", "give exactly one reset id (mcpmend undo ID; mcpmend status lists them)"},
		{[]string{"diagnose", "--no-probe"}, 1, "", "give exactly one server name (mcpmend diagnose NAME); for every server: mcpmend checkup"},
		{[]string{"diagnose", "docs", "--no-probe"}, 0, "docs", ""},
		{[]string{"state", "--bogus", "docs"}, 1, "", "unknown flag --bogus"},
	} {
		var out, errb bytes.Buffer
		code := run(context.Background(), append([]string{"--home", home}, tt.args...), strings.NewReader(""), &out, &errb)
		if (code == 0) != (tt.code == 0) || !strings.Contains(out.String(), tt.out) || !strings.Contains(errb.String(), tt.err) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit %d, %q on stdout and %q on stderr",
				tt.args, code, out.String(), errb.String(), tt.code, tt.out, tt.err)
		}
	}
	if entries, _ := os.ReadDir(home); len(entries) != 1 {
		t.Errorf("the commands wrote into home: %v", entries)
	}
}
