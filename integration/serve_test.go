package integration

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestServeToolsList checks the handshake and that every tool declares its
// annotations and an output schema.
func TestServeToolsList(t *testing.T) {
	cs := connect(t, t.TempDir())
	if got := cs.InitializeResult().ServerInfo.Name; got != "mcpmend" {
		t.Errorf("server name = %q, want mcpmend", got)
	}
	if !strings.Contains(cs.InitializeResult().Instructions, "`diagnose`") {
		t.Errorf("instructions do not describe the workflow: %q", cs.InitializeResult().Instructions)
	}
	res, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, tool := range res.Tools {
		names[tool.Name] = true
		if tool.Annotations == nil || tool.Annotations.OpenWorldHint == nil {
			t.Errorf("tool %s: annotations missing or incomplete: %+v", tool.Name, tool.Annotations)
		}
		if tool.OutputSchema == nil {
			t.Errorf("tool %s has no output schema", tool.Name)
		}
		if len(tool.Description) < 100 {
			t.Errorf("tool %s: description too thin for a model: %q", tool.Name, tool.Description)
		}
	}
	if !names["diagnose"] || !names["reset_server_auth"] || len(names) > 5 {
		t.Errorf("tools = %v, want diagnose and reset_server_auth among at most five", names)
	}
}

// TestServeListServers calls diagnose (every server, with detail, without
// dialling) over stdio on a fixture home with a
// canary secret and checks the structured result.
func TestServeListServers(t *testing.T) {
	home := t.TempDir()
	const canary = "CANARY-SECRET-7f3a9c"
	cfg := `{"mcpServers":{"alpha":{"type":"http","url":"https://example.test/mcp?token=` + canary + `","headers":{"Authorization":"Bearer ` + canary + `"}},"beta":{"command":"node","args":["srv.js","--api-key","` + canary + `"],"env":{"API_KEY":"` + canary + `"}}}}`
	if err := os.WriteFile(filepath.Join(home, ".claude.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cs := connect(t, home)
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "diagnose", Arguments: map[string]any{"client": "claude-code", "skip_probe": true, "detail": true}})
	if err != nil {
		t.Fatal(err)
	}
	if res.IsError {
		t.Fatalf("diagnose failed: %v", res.Content)
	}
	raw, _ := json.Marshal(res)
	if strings.Contains(string(raw), canary) {
		t.Fatalf("canary secret leaked in diagnose result: %s", raw)
	}
	var out struct {
		Detail struct {
			Reports []struct {
				Server struct {
					Name, Client, Scope, Transport, URL string
					Headers                             []string
					Env                                 []string
				}
			}
		}
	}
	sc, _ := json.Marshal(res.StructuredContent)
	if err := json.Unmarshal(sc, &out); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range out.Detail.Reports {
		s := r.Server
		got[s.Name] = s.Scope + " " + s.Transport
	}
	if got["alpha"] != "user http" || got["beta"] != "user stdio" {
		t.Errorf("servers = %v, want alpha as user http and beta as user stdio", got)
	}
}
