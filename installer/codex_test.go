package installer

import (
	"strings"
	"testing"
)

const ours = `{"command":"/usr/bin/mcpmend","args":["serve"]}`

func TestTOMLSetAndDeleteRoundTrip(t *testing.T) {
	docs := []string{
		"",
		"model = \"o3\"\n",
		"model = \"o3\"", // no final newline
		"# c\n[mcp_servers.a]\ncommand = \"x\"\n\n# next\n[projects.\"/p\"]\ntrust_level = \"trusted\"\n",
		// A header-looking line inside a multi-line string is text, not a table.
		"notes = \"\"\"\n[mcp_servers.mcpmend]\n\"\"\"\n",
	}
	for _, d := range docs {
		set, err := tomlSet([]byte(d), "mcp_servers", "mcpmend", []byte(ours))
		if err != nil {
			t.Fatalf("%q: %v", d, err)
		}
		if !strings.HasPrefix(string(set), strings.TrimRight(d, "\n")) {
			t.Errorf("set changed the text before the new table:\n%s", set)
		}
		back, err := tomlDelete(set, "mcp_servers", "mcpmend")
		if err != nil {
			t.Fatalf("%q: %v", set, err)
		}
		want := d
		if want != "" && !strings.HasSuffix(want, "\n") {
			want += "\n"
		}
		if string(back) != want {
			t.Errorf("set then delete of %q gave %q", d, back)
		}
	}
}

func TestTOMLDeleteKeepsTheNextTablesComments(t *testing.T) {
	in := "[mcp_servers.'mcpmend'] # ours\ncommand = \"x\"\n\n[mcp_servers.mcpmend.env]\nA = \"1\"\n\n# about b\n[mcp_servers.b]\ncommand = \"y\"\n"
	out, err := tomlDelete([]byte(in), "mcp_servers", "mcpmend")
	if err != nil {
		t.Fatal(err)
	}
	if want := "\n# about b\n[mcp_servers.b]\ncommand = \"y\"\n"; string(out) != want {
		t.Errorf("got %q, want %q", out, want)
	}
}

func TestTOMLRefusesOtherForms(t *testing.T) {
	for _, in := range []string{
		"mcp_servers = { mcpmend = { command = \"x\" } }\n",
		"[mcp_servers]\nmcpmend = { command = \"x\" }\n",
		"mcp_servers.mcpmend.command = \"x\"\n",
		"not toml = = \n",
	} {
		if out, err := tomlSet([]byte(in), "mcp_servers", "mcpmend", []byte(ours)); err == nil {
			t.Errorf("%q: want a refusal, got\n%s", in, out)
		}
		if out, err := tomlDelete([]byte(in), "mcp_servers", "mcpmend"); err == nil {
			t.Errorf("delete %q: want a refusal, got\n%s", in, out)
		}
	}
}

func TestTOMLStringsEscape(t *testing.T) {
	out, err := tomlSet(nil, "mcp_servers", "mcpmend", []byte(`{"command":"C:\\Program Files\\mcpmend \"x\".exe","args":["serve"]}`))
	if err != nil {
		t.Fatal(err)
	}
	raw, ok, err := tomlGet(out, "mcp_servers", "mcpmend")
	if err != nil || !ok || !strings.Contains(string(raw), `C:\\Program Files\\mcpmend \"x\".exe`) {
		t.Fatalf("%s → %s %v %v", out, raw, ok, err)
	}
}
