package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// fixServerPrompt is the playbook of the instructions as a prompt, so a user
// can start it by hand: /mcp__mcpmend__fix_server NAME in Claude Code.
const fixServerPrompt = `Fix the MCP server %s with mcpmend's tools:
1. Call diagnose with %s.
2. Do the result's next: call that tool with exactly its arguments, or tell me the step when it is mine to do. reset_server_auth applies at once, is journalled and can be undone with undo_reset, so do not dry-run it first.
3. After a reset, tell me how my client picks it up (the result's pick_up) and do its next: bridge_server gives this conversation the server's tools now; diagnose confirms.
Never ask me for tokens or secrets. Tell me in two or three sentences what was wrong and what changed.`

func addFixServerPrompt(s *mcp.Server) {
	s.AddPrompt(&mcp.Prompt{
		Name:        "fix_server",
		Title:       "Fix an MCP server that fails or needs authentication",
		Description: "Diagnose an MCP server (or every server when no name is given) and apply the fix mcpmend finds.",
		Arguments:   []*mcp.PromptArgument{{Name: "name", Description: "the server's name as configured; empty for every server"}},
	}, func(_ context.Context, req *mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
		return &mcp.GetPromptResult{Description: "fix an MCP server with mcpmend",
			Messages: []*mcp.PromptMessage{{Role: "user", Content: &mcp.TextContent{Text: FixServerPrompt(req.Params.Arguments["name"])}}}}, nil
	})
}

// FixServerPrompt is the prompt's text for name ("" for every server).
func FixServerPrompt(name string) string {
	name = strings.TrimSpace(name)
	target, args := "that is failing (I did not name one: check them all)", "{}"
	if name != "" {
		q, _ := json.Marshal(name)
		target, args = string(q), `{"name": `+string(q)+`}`
	}
	return fmt.Sprintf(fixServerPrompt, target, args)
}
