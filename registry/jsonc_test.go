package registry

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

func TestStripJSONC(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"line comment", "{\"a\": 1 // c\n}", "{\"a\": 1     \n}"},
		{"line comment at EOF", "{}// end", "{}      "},
		{"block comment keeps newlines", "{/* x\r\ny */\"a\":1}", "{    \r\n    \"a\":1}"},
		{"slashes inside strings", `{"u": "https://x//y/*z*/"}`, `{"u": "https://x//y/*z*/"}`},
		{"escaped quote inside string", `{"a": "q\"//", "b": 1}`, `{"a": "q\"//", "b": 1}`},
		{"trailing comma in object", "{\"a\": 1,\n}", "{\"a\": 1 \n}"},
		{"trailing comma in array", "[1, 2, ]", "[1, 2  ]"},
		{"trailing comma before a comment", "[1, /* c */ ]", "[1          ]"},
		{"a double comma stays for the parser to report", "[1,, ]", "[1,, ]"},
		{"a lone comma stays", "[, ]", "[, ]"},
		{"comma inside a string stays", `{"a": ",}"}`, `{"a": ",}"}`},
		{"unterminated block comment is left for the parser", "{} /* open", "{} /* open"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := string(stripJSONC([]byte(c.in)))
			if got != c.want {
				t.Errorf("stripJSONC(%q) = %q, want %q", c.in, got, c.want)
			}
			if len(got) != len(c.in) {
				t.Errorf("length changed: %d → %d", len(c.in), len(got))
			}
		})
	}
}

func TestReadJSONCValid(t *testing.T) {
	data, prob, ok := readJSONC(VSCode, ocHome(t, "vscode", "mac", "Library", "Application Support", "Code", "User", "mcp.json"))
	if prob != nil || !ok {
		t.Fatalf("problem %v ok %v", prob, ok)
	}
	if got := gjson.GetBytes(data, "inputs.0.id").String(); got != "api-key" {
		t.Errorf("inputs.0.id = %q", got)
	}
}

// benchSettings writes a settings.json of about 1 MB: many commented
// settings, as a long-lived VS Code profile has, and a few MCP servers.
func benchSettings(b *testing.B) string {
	var sb strings.Builder
	sb.WriteString("{\n")
	for i := 0; sb.Len() < 1<<20; i++ {
		fmt.Fprintf(&sb, "  // setting %d, with a URL in the comment: https://example.com/a/b\n  \"ext%d.option\": {\"value\": \"https://example.com/%d\", \"list\": [1, 2, 3,],},\n", i, i, i)
	}
	sb.WriteString("  \"mcp\": {\"servers\": {\"a\": {\"command\": \"x\"}}}\n}\n")
	p := filepath.Join(b.TempDir(), "settings.json")
	if err := os.WriteFile(p, []byte(sb.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkReadJSONC reads and validates a 1 MB JSONC file; compare with
// BenchmarkReadJSONCStrict, the same file with comments and trailing commas
// already removed, read by readJSON: the difference is what stripping costs.
func BenchmarkReadJSONC(b *testing.B) {
	p := benchSettings(b)
	b.SetBytes(fileSize(b, p))
	for b.Loop() {
		if _, prob, ok := readJSONC(VSCode, p); !ok {
			b.Fatal(prob)
		}
	}
}

func BenchmarkReadJSONCStrict(b *testing.B) {
	p := benchSettings(b)
	data, err := os.ReadFile(p)
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(p, stripJSONC(data), 0o600); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(fileSize(b, p))
	for b.Loop() {
		if _, prob, ok := readJSON(VSCode, p); !ok {
			b.Fatal(prob)
		}
	}
}

func fileSize(b *testing.B, p string) int64 {
	fi, err := os.Stat(p)
	if err != nil {
		b.Fatal(err)
	}
	return fi.Size()
}
