package desktop

import (
	"context"
	"slices"
	"testing"

	"github.com/mcpmend/mcpmend/registry"
)

func TestKeyNames(t *testing.T) {
	for key, want := range map[string][]string{
		"mcp:github:auth":       {"github"},
		"mcp-auth-github":       {"github"},
		"mcp:github-tools:auth": {"github-tools"},
		"mcp-auth-my_tool":      {"my_tool"},
		"mcp:github:prefs":      {"github"},
		"github-tools.lastUsed": nil, // no "mcp" word: not a server's item by shape
		"layout":                nil,
		"mcp:github:名前":         {"github"},
		"mcp:../etc:auth":       {"etc"},
		"amcpb:x":               nil,
	} {
		if got := keyNames(key); !slices.Equal(got, want) {
			t.Errorf("keyNames(%q) = %q, want %q", key, got, want)
		}
	}
}

// TestNamesFromRealChromium lists the servers the Chromium-written fixture
// keeps items for: github and github-tools, nothing from keys that only
// mention them or lack the "mcp" word.
func TestNamesFromRealChromium(t *testing.T) {
	names, err := Store{Dirs: []string{fixtureDir}}.Names(context.Background(), registry.Env{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(names, []string{"github", "github-tools"}) {
		t.Errorf("names = %q", names)
	}
}
