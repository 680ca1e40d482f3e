package registry

import (
	"os"
	"path/filepath"
	"testing"
)

// TestLocations lists every client's user file and the current project's
// files, and says which exist.
func TestLocations(t *testing.T) {
	home, proj := t.TempDir(), t.TempDir()
	env := Env{Home: home, CWD: proj, GOOS: "linux", Getenv: func(string) string { return "" }}
	if err := os.MkdirAll(filepath.Join(proj, ".cursor"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(proj, ".cursor", "mcp.json"), []byte(`{}`), 0o600); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, l := range Locations(env) {
		seen[l.Client] = true
		if want := l.Path == filepath.Join(proj, ".cursor", "mcp.json"); l.Exists != want {
			t.Errorf("%s %s: exists = %v", l.Client, l.Path, l.Exists)
		}
	}
	for _, c := range Clients() {
		if !seen[c] {
			t.Errorf("no location for %s", c)
		}
	}
	got := map[string]bool{}
	for _, l := range Locations(env) {
		got[l.Path] = true
	}
	for _, p := range []string{filepath.Join(home, ".claude.json"), filepath.Join(proj, ".mcp.json"), filepath.Join(home, ".codex", "config.toml"),
		filepath.Join(proj, ".vscode", "mcp.json"), filepath.Join(home, ".config", "Claude", "claude_desktop_config.json")} {
		if !got[p] {
			t.Errorf("%s not listed", p)
		}
	}
}
