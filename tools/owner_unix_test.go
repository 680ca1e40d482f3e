//go:build unix

package tools

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestResetToolRefusesAnotherUsersHome: the MCP tool runs the same check
// as the CLI — a `mcpmend serve` started as root on a home another user
// owns refuses reset_server_auth, saying why, and changes nothing.
func TestResetToolRefusesAnotherUsersHome(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	d := claudeStateDeps(t)
	if err := os.Chown(d.Env.Home, 4242, 4242); err != nil {
		t.Fatal(err)
	}
	creds0, needs0 := stateFiles(t, d)
	ctx := context.Background()
	ct, st := mcp.NewInMemoryTransports()
	if _, err := NewServer(d).Connect(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "t", Version: "1"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "reset_server_auth", Arguments: map[string]any{"name": "stuck-noreg"}})
	if err != nil || !res.IsError {
		t.Fatalf("call: %v %+v", err, res)
	}
	text := res.Content[0].(*mcp.TextContent).Text
	if !strings.Contains(text, d.Env.Home) || !strings.Contains(text, "uid 4242") || !strings.Contains(text, "--as-owner") {
		t.Errorf("the refusal does not name the home, its owner and --as-owner: %s", text)
	}
	if c, n := stateFiles(t, d); c != creds0 || n != needs0 {
		t.Fatal("a refused reset changed a file")
	}
	d.Env.AsOwner = true
	if out, err := ResetServerAuth(ctx, d, ResetServerAuthInput{Name: "stuck-noreg"}); err != nil || out.Outcome != OutcomeApplied {
		t.Fatalf("with --as-owner: %v %+v", err, out)
	}
}
