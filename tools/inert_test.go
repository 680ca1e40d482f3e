package tools

import (
	"context"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestTextIsInert: a name, command and URL holding terminal escapes (a
// colour, an OSC 52 clipboard write) and a newline that would forge a line
// reach every tool's text escaped, never raw.
func TestTextIsInert(t *testing.T) {
	evil := "x\x1b]52;c;ZXZpbA==\x07\x1b[2J\nok       fake-line"
	d := probeHome(t, map[string]any{
		evil:  map[string]any{"command": "mcpmend-no-such\x1b[31m", "args": []string{"\x9b31m"}},
		"web": map[string]any{"type": "http", "url": "http://127.0.0.1:1/\x1b[0m"},
	}, nil, nil)
	cs, _ := session(t, d)
	calls := []*mcp.CallToolParams{
		{Name: "list_servers", Arguments: map[string]any{}},
		{Name: "checkup", Arguments: map[string]any{"timeout": 5}},
		{Name: "diagnose_server", Arguments: map[string]any{"name": evil, "timeout": 5}},
		{Name: "probe_server", Arguments: map[string]any{"name": evil, "timeout": 5}},
		{Name: "probe_server", Arguments: map[string]any{"all": true, "timeout": 5}},
		{Name: "server_state", Arguments: map[string]any{"name": evil}},
	}
	for _, c := range calls {
		res, err := cs.CallTool(context.Background(), c)
		if err != nil {
			t.Fatal(err)
		}
		for _, content := range res.Content {
			text := content.(*mcp.TextContent).Text
			if strings.ContainsAny(text, "\x1b\x07\u009b") {
				t.Errorf("%s: raw control characters in the text:\n%q", c.Name, text)
			}
			for _, line := range strings.Split(text, "\n") {
				if strings.HasPrefix(line, "ok       fake-line") {
					t.Errorf("%s: a name forged a line of output:\n%s", c.Name, text)
				}
			}
		}
	}
}
