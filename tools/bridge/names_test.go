package bridge

import (
	"strings"
	"testing"
)

func none(string) bool { return false }

// TestToolNameWithinClaudeCodeLimit: every name fits mcp__mcpmend__ + name
// in 64 characters of [A-Za-z0-9_-], and the same input gives the same name.
func TestToolNameWithinClaudeCodeLimit(t *testing.T) {
	long := strings.Repeat("very-long-server-name", 4)
	for _, c := range []struct{ server, tool, want string }{
		{"github", "create_issue", "github__create_issue"},
		{"my.server", "tool/with space", "my_server__tool_with_space"},
		{long, "search", ""},
		{"s", strings.Repeat("t", 200), ""},
	} {
		got := ToolName(c.server, c.tool, 0, none)
		full := ClaudeCodePrefix + got
		if len(full) > MaxAPIToolName || got == "" || sanitize(got) != got {
			t.Errorf("ToolName(%q, %q) = %q (full %d chars)", c.server, c.tool, got, len(full))
		}
		if c.want != "" && got != c.want {
			t.Errorf("ToolName(%q, %q) = %q, want %q", c.server, c.tool, got, c.want)
		}
		if again := ToolName(c.server, c.tool, 0, none); again != got {
			t.Errorf("not deterministic: %q then %q", got, again)
		}
	}
	a := ToolName(long, "search_a", 0, none)
	b := ToolName(long, "search_b", 0, none)
	if a == b {
		t.Errorf("two long names shortened to the same %q", a)
	}
}

// TestToolNameCollisions: names that sanitise alike, and a bridged name
// that is already taken, get distinct deterministic names; the first keeps
// the plain one.
func TestToolNameCollisions(t *testing.T) {
	taken := map[string]bool{}
	use := func(server, tool string) string {
		n := ToolName(server, tool, 0, func(s string) bool { return taken[s] })
		if taken[n] {
			t.Fatalf("%q reused", n)
		}
		taken[n] = true
		return n
	}
	first := use("a__b", "c")
	second := use("a", "b__c")
	third := use("a", "b.c")
	fourth := use("a", "b_c")
	if first != "a__b__c" || second == first || !strings.HasPrefix(second, "a__b__c_") {
		t.Errorf("collision: %q then %q", first, second)
	}
	if third != "a__b_c" || fourth == third {
		t.Errorf("sanitised collision: %q then %q", third, fourth)
	}
	// Deterministic: the same sequence gives the same names.
	again := map[string]bool{}
	for i, p := range [][2]string{{"a__b", "c"}, {"a", "b__c"}, {"a", "b.c"}, {"a", "b_c"}} {
		n := ToolName(p[0], p[1], 0, func(s string) bool { return again[s] })
		again[n] = true
		if want := []string{first, second, third, fourth}[i]; n != want {
			t.Errorf("run 2: %q, run 1: %q", n, want)
		}
	}
	// mcpmend's own names are never taken by a bridged tool.
	Reserve("x__y")
	defer delete(ownTools, "x__y")
	m := &Manager{owner: map[string]*bridge{}}
	if n := ToolName("x", "y", 0, m.takenLocked); n == "x__y" {
		t.Error("a bridged tool took one of mcpmend's own names")
	}
}

// TestRelists: the bridge is offered to Claude Code from RelistFrom on,
// never to 2.1.119 (it re-fetches only in its REPL, which clientInfo does
// not tell apart), nor to a client not measured.
func TestRelists(t *testing.T) {
	for _, c := range []struct {
		name, version string
		want          bool
	}{
		{"claude-code", "2.1.328", true}, {"claude-code", "2.1.337", true}, {"claude-code", "2.2.0", true}, {"claude-code", "2.1.169", true},
		{"claude-code", "2.1.119", false}, {"claude-code", "2.1.150", false}, {"claude-code", "2.1.168", false}, {"claude-code", "junk", false},
		{"cursor", "1.0.0", false}, {"", "", false},
	} {
		if got, why := Relists(c.name, c.version); got != c.want || why == "" {
			t.Errorf("Relists(%q, %q) = %v (%s)", c.name, c.version, got, why)
		}
	}
}
