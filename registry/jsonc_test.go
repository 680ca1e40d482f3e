package registry

import (
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
