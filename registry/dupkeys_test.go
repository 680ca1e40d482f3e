package registry

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDuplicateKeys: the JavaScript clients keep the last of duplicate keys
// (JSON.parse), at every level; Codex refuses a TOML file that repeats one.
func TestDuplicateKeys(t *testing.T) {
	home, repo := t.TempDir(), t.TempDir()
	files := map[string]string{
		filepath.Join(home, ".claude.json"):          `{"mcpServers": {"d": {"command": "benign", "command": "evil"}, "n": {"command": "first"}, "n": {"command": "second"}}}`,
		filepath.Join(home, ".cursor", "mcp.json"):   `{"mcpServers": {"d": {"command": "benign", "args": ["x"], "command": "evil"}}, "mcpServers": {"d2": {"command": "evil2"}}}`,
		filepath.Join(home, ".codex", "config.toml"): "[mcp_servers.d]\ncommand = \"benign\"\ncommand = \"evil\"\n",
	}
	for p, data := range files {
		must(t, os.MkdirAll(filepath.Dir(p), 0o755))
		must(t, os.WriteFile(p, []byte(data), 0o600))
	}
	inv := Discover(Env{Home: home, CWD: repo, GOOS: "linux", Getenv: func(k string) string {
		if k == ManagedDirVar {
			return filepath.Join(home, "none")
		}
		return ""
	}})
	got := map[string]string{}
	for _, s := range inv.Servers {
		got[s.Client+"/"+s.Name] = s.Command
	}
	want := map[string]string{"claude-code/d": "evil", "claude-code/n": "second", "cursor/d2": "evil2"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: command %q, want %q (the last duplicate wins)", k, got[k], v)
		}
	}
	if _, ok := got["cursor/d"]; ok {
		t.Errorf("cursor/d listed: the second mcpServers replaces the first")
	}
	problemFor(t, inv, filepath.Join(home, ".codex", "config.toml"), "already")
}

func TestDedupeJSON(t *testing.T) {
	for in, want := range map[string]string{
		`{"a":1,"b":2}`:                  `{"a":1,"b":2}`,
		`{"a":1,"b":2,"a":3}`:            `{"a":3,"b":2}`,
		` [ {"x": [1, {"y":1,"y":2}]} ]`: `[{"x":[1,{"y":2}]}]`,
		`{"a\u0062":1,"ab":2}`:           `{"a\u0062":2}`,
		`{}`:                             `{}`,
		// past 32 keys the check keeps a map: a repeat found there, a nested one, none
		manyKeys(40, `"k3":9`):            strings.Replace(manyKeys(40, ""), `"k3":3`, `"k3":9`, 1),
		manyKeys(40, `"o":{"z":1,"z":2}`): manyKeys(40, `"o":{"z":2}`),
		manyKeys(40, `"k40":1`):           manyKeys(40, `"k40":1`),
		manyKeys(40, `"k39":0`):           strings.Replace(manyKeys(40, ""), `"k39":39`, `"k39":0`, 1),
	} {
		if got := string(dedupeJSON([]byte(in))); got != want {
			t.Errorf("dedupeJSON(%s) = %s, want %s", in, got, want)
		}
	}
}

// manyKeys is an object of n members k0…k(n-1), then extra when not empty.
func manyKeys(n int, extra string) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		fmt.Fprintf(&b, `"k%d":%d,`, i, i)
	}
	if extra == "" {
		return strings.TrimSuffix(b.String(), ",") + "}"
	}
	return b.String() + extra + "}"
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// problemFor returns the problem naming file, failing when there is none.
func problemFor(t *testing.T, inv *Inventory, file, want string) {
	t.Helper()
	for _, p := range inv.Problems {
		if p.File == file {
			if !strings.Contains(p.Message, want) {
				t.Errorf("%s: problem %q, want it to say %q", file, p.Message, want)
			}
			return
		}
	}
	t.Errorf("no problem names %s (want %q); problems: %+v", file, want, inv.Problems)
}
