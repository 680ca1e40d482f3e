package probe

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mcpmend/mcpmend/registry"
)

// TestCodexStartupTimeoutFromConfig: the startup_timeout_sec a user wrote
// in ~/.codex/config.toml reaches the probe through the registry's entry.
func TestCodexStartupTimeoutFromConfig(t *testing.T) {
	home := t.TempDir()
	os.MkdirAll(filepath.Join(home, ".codex"), 0o700)
	toml := "[mcp_servers.slow]\ncommand = \"npx\"\nargs = [\"-y\", \"some-server\"]\nstartup_timeout_sec = 45\n\n[mcp_servers.plain]\ncommand = \"npx\"\n"
	if err := os.WriteFile(filepath.Join(home, ".codex", "config.toml"), []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	inv := registry.Discover(registry.Env{Home: home, CWD: home, Getenv: func(string) string { return "" }})
	got := map[string]time.Duration{}
	for _, s := range inv.Servers {
		if s.Client == registry.Codex {
			got[s.Name], _ = StartupTimeout(s, nil)
		}
	}
	if got["slow"] != 45*time.Second || got["plain"] != 10*time.Second {
		t.Errorf("codex startup timeouts = %v, want slow 45s and plain 10s (problems %v)", got, inv.Problems)
	}
}
