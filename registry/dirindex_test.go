package registry

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDirIndexRulesOutOnlyWhatIsGone(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"src/kept", "src/Mixed", "odd/Café", "odd/plain"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var x dirIndex
	for _, c := range []struct {
		dir  string
		want bool
	}{
		{"src/kept", true},
		{"src/kept/", true},
		{"src/gone", false},
		{"src/mixed", true},   // case-insensitive folders: never ruled out by case
		{"src/MIXED", true},   // (on Linux the stat that follows says it is not there)
		{"gone/child", false}, // the parent itself is gone
		{"odd/other", true},   // a parent with a non-ASCII entry rules nothing out
		{"src/Café", true},    // nor is a non-ASCII name ruled out
		{"file/child", true},  // a parent that is not a directory: not listed, nothing ruled out
	} {
		if got := x.mayExist(filepath.Join(root, c.dir)); got != c.want {
			t.Errorf("mayExist(%s) = %v, want %v", c.dir, got, c.want)
		}
	}
	if len(x.parents) != 4 {
		t.Errorf("listed %d parents, want each of src, gone, odd and file once", len(x.parents))
	}
}

// A project whose folder is among thousands of gone ones still has its
// .mcp.json read; one whose folder is gone reports nothing.
func TestGoneProjectFoldersAreSkipped(t *testing.T) {
	home := t.TempDir()
	live := filepath.Join(home, "src", "live")
	if err := os.MkdirAll(live, 0o755); err != nil {
		t.Fatal(err)
	}
	writeTestFile(t, filepath.Join(live, ".mcp.json"), `{"mcpServers":{"shared":{"command":"echo"}}}`)
	projects := `"` + live + `":{"hasTrustDialogAccepted":true,"enabledMcpjsonServers":["shared"]}`
	for _, gone := range []string{"src/gone", "elsewhere/gone"} {
		projects += `,"` + filepath.Join(home, gone) + `":{"mcpServers":{"local":{"command":"echo"}}}`
	}
	writeTestFile(t, filepath.Join(home, ".claude.json"), `{"projects":{`+projects+`}}`)
	inv := Discover(Env{Home: home, CWD: home, GOOS: "linux", Getenv: func(string) string { return "" }})
	var shared, local int
	for _, s := range inv.Servers {
		switch {
		case s.Name == "shared" && s.Scope == ScopeProject && s.Project == live:
			shared++
		case s.Name == "local" && s.Scope == ScopeLocal:
			local++
		}
	}
	if shared != 1 || local != 2 || len(inv.Problems) != 0 {
		t.Fatalf("got %d project and %d local servers (want 1 and 2), problems %+v", shared, local, inv.Problems)
	}
}

func writeTestFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}
