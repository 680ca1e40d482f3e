package installer

import "testing"

// FuzzCodexEdits: on any config.toml the table edits never panic, and what
// they return decodes with the table set (or gone).
func FuzzCodexEdits(f *testing.F) {
	for _, s := range []string{"", "a = 1\n", "[mcp_servers.mcpmend]\ncommand = \"x\"\n", "x = '''\n[mcp_servers.mcpmend]\n'''\n[t]\n",
		"[mcp_servers.\"mcpmend\".env] # c\nA = \"1\"\n# n\n[b]\n",
		"mcp_servers = { mcpmend = { command = \"x\" } }\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		if out, err := tomlSet([]byte(doc), "mcp_servers", "mcpmend", []byte(ours)); err == nil {
			if _, ok, err := tomlGet(out, "mcp_servers", "mcpmend"); err != nil || !ok {
				t.Fatalf("set %q → %q: %v", doc, out, err)
			}
		}
		if out, err := tomlDelete([]byte(doc), "mcp_servers", "mcpmend"); err == nil {
			if _, ok, _ := tomlGet(out, "mcp_servers", "mcpmend"); ok {
				t.Fatalf("delete %q left the table: %q", doc, out)
			}
		}
	})
}
