package tools

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/mcpmend/mcpmend/internal/wirelog"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// The limits a client puts on what mcpmend says about itself: Claude Code
// 2.1.119 (Claude Desktop 1.5354.0's) cuts server instructions and each
// tool description at 2,048 characters, 2.1.328 at 4,096. Instructions are
// kept well below, so they read at a glance.
const (
	maxInstructions = 1500
	maxDescription  = 2048
	maxTools        = 5 // counting bridge_server
)

// deprecated are tool names the MCP surface no longer has: nothing a model
// reads may tell it to call them.
var deprecated = []string{"list_servers", "probe_server", "server_state", "checkup", "diagnose_server"}

// TestSurfaceLimits checks every length limit and the tool count over a
// real MCP session: instructions, each tool's title and description, the
// prompt's description and text.
func TestSurfaceLimits(t *testing.T) {
	cs, _ := session(t, probeHome(t, map[string]any{}, nil, nil))
	ctx := context.Background()
	instr := cs.InitializeResult().Instructions
	if n := len([]rune(instr)); n > maxInstructions || n < 200 {
		t.Errorf("instructions are %d characters, want 200..%d", n, maxInstructions)
	}
	for _, w := range []string{"diagnose", "next", "Never ask the user for tokens"} {
		if !strings.Contains(instr, w) {
			t.Errorf("instructions lack %q", w)
		}
	}
	tools, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(tools.Tools) > maxTools {
		t.Errorf("%d tools, at most %d (bridge_server included)", len(tools.Tools), maxTools)
	}
	said := instr
	for _, tool := range tools.Tools {
		if n := len([]rune(tool.Description)); n > maxDescription || n < 100 {
			t.Errorf("%s: description is %d characters, want 100..%d", tool.Name, n, maxDescription)
		}
		if tool.OutputSchema == nil {
			t.Errorf("%s has no output schema", tool.Name)
		}
		said += "\n" + tool.Description
	}
	prompts, err := cs.ListPrompts(ctx, nil)
	if err != nil || len(prompts.Prompts) != 1 || prompts.Prompts[0].Name != "fix_server" {
		t.Fatalf("prompts = %+v, %v", prompts, err)
	}
	for _, name := range []string{"", "digitalocean-accounts"} {
		p, err := cs.GetPrompt(ctx, &mcp.GetPromptParams{Name: "fix_server", Arguments: map[string]string{"name": name}})
		if err != nil {
			t.Fatal(err)
		}
		txt := p.Messages[0].Content.(*mcp.TextContent).Text
		if n := len([]rune(txt)); n > maxDescription {
			t.Errorf("fix_server prompt is %d characters", n)
		}
		if name != "" && !strings.Contains(txt, `diagnose with {"name": "digitalocean-accounts"}`) || name == "" && !strings.Contains(txt, "diagnose with {}") {
			t.Errorf("fix_server %q:\n%s", name, txt)
		}
		said += "\n" + txt
	}
	for _, d := range deprecated {
		if strings.Contains(said, d) {
			t.Errorf("instructions, descriptions or the prompt name the removed tool %s", d)
		}
	}
}

// TestBadArguments: a value outside an enum or a bound is refused before
// anything runs, and the error names what is valid.
func TestBadArguments(t *testing.T) {
	cs, _ := session(t, probeHome(t, map[string]any{"github": map[string]any{"type": "http", "url": "http://127.0.0.1:1/mcp"}}, nil, nil))
	for _, tt := range []struct {
		tool string
		args map[string]any
		want []string
	}{
		{"diagnose", map[string]any{"name": "github", "client": "emacs"}, []string{"claude-code", "claude-desktop", "zed"}},
		{"diagnose", map[string]any{"name": "github", "scope": "galaxy"}, []string{"user", "local", "project", "workspace"}},
		{"diagnose", map[string]any{"name": "github", "timeout": 500}, []string{"120"}},
		{"diagnose", map[string]any{"name": "github", "timeout": -1}, []string{"0"}},
		{"reset_server_auth", map[string]any{"name": "github", "client": "emacs"}, []string{"claude-code", "cursor"}},
		{"reset_server_auth", map[string]any{"name": "github", "scope": "galaxy"}, []string{"user", "connector"}},
		{"diagnose", map[string]any{"scope": "user"}, []string{"needs a name"}},
		{"diagnose", map[string]any{"nmae": "github"}, []string{"nmae"}},
	} {
		res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: tt.tool, Arguments: tt.args})
		if err != nil {
			t.Fatal(err)
		}
		msg := res.Content[0].(*mcp.TextContent).Text
		if !res.IsError {
			t.Errorf("%s %v: accepted: %s", tt.tool, tt.args, msg)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s %v: error lacks %q: %s", tt.tool, tt.args, w, msg)
			}
		}
	}
}

// TestStructuredOrder: the structured result on the wire leads with
// status, verdict and next, in the struct's field order, and validates
// against the tool's output schema.
func TestStructuredOrder(t *testing.T) {
	d := probeHome(t, map[string]any{"github": map[string]any{"type": "http", "url": "http://127.0.0.1:1/mcp"}}, nil, nil)
	writeNeedsAuth(t, d, "github")
	cs, wire := wireSession(t, d)
	schemas := outputSchemas(t, cs)
	for _, call := range []mcp.CallToolParams{
		{Name: "diagnose", Arguments: map[string]any{"name": "github", "skip_probe": true}},
		{Name: "diagnose", Arguments: map[string]any{"skip_probe": true}},
		{Name: "diagnose", Arguments: map[string]any{"name": "github", "skip_probe": true, "detail": true}},
		{Name: "reset_server_auth", Arguments: map[string]any{"name": "github", "dry_run": true}},
		{Name: "reset_server_auth", Arguments: map[string]any{"name": "github"}},
		{Name: "reset_status", Arguments: map[string]any{}},
	} {
		res, err := cs.CallTool(context.Background(), &call)
		if err != nil || res.IsError {
			t.Fatalf("%s %v: %v %+v", call.Name, call.Arguments, err, res)
		}
		raw := wire.lastStructured(t)
		if !strings.HasPrefix(raw, `{"status":`) || call.Name != "reset_status" && !strings.Contains(raw[:min(len(raw), 600)], `"next":`) {
			t.Errorf("%s %v: status/verdict/next do not lead: %.300s", call.Name, call.Arguments, raw)
		}
		validate(t, schemas[call.Name], res.StructuredContent)
	}
	var status struct{ Resets []struct{ ID string } }
	if err := json.Unmarshal([]byte(wire.lastStructured(t)), &status); err != nil || len(status.Resets) != 1 {
		t.Fatalf("reset_status: %v %+v", err, status)
	}
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "undo_reset", Arguments: map[string]any{"id": status.Resets[0].ID}})
	if err != nil || res.IsError {
		t.Fatalf("undo_reset: %v %+v", err, res)
	}
	if raw := wire.lastStructured(t); !strings.HasPrefix(raw, `{"status":"ok","verdict":"reset `) || !strings.Contains(raw, `"next":{"step":"see what the client does with it now","tool":"diagnose"`) {
		t.Errorf("undo_reset does not lead with status, verdict and next: %.300s", raw)
	}
	validate(t, schemas["undo_reset"], res.StructuredContent)
}

// outputSchemas resolves each listed tool's output schema.
func outputSchemas(t *testing.T, cs *mcp.ClientSession) map[string]*jsonschema.Resolved {
	t.Helper()
	tools, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*jsonschema.Resolved{}
	for _, tool := range tools.Tools {
		raw, _ := json.Marshal(tool.OutputSchema)
		var s jsonschema.Schema
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatalf("%s output schema: %v", tool.Name, err)
		}
		r, err := s.Resolve(nil)
		if err != nil {
			t.Fatalf("%s output schema: %v", tool.Name, err)
		}
		out[tool.Name] = r
	}
	return out
}

// validate checks a structured result against a resolved schema.
func validate(t *testing.T, r *jsonschema.Resolved, sc any) {
	t.Helper()
	if r == nil {
		t.Fatal("no output schema")
	}
	raw, _ := json.Marshal(sc)
	var v any
	json.Unmarshal(raw, &v)
	if err := r.Validate(v); err != nil {
		t.Errorf("structured result does not match the output schema: %v\n%.500s", err, raw)
	}
}

// wireLog keeps what the server sent, as bytes: the client decodes
// structuredContent into a map, which loses the order on the wire.
type wireLog struct{ wirelog.Log }

// lastStructured is the structuredContent of the last tool result read,
// byte for byte as the server sent it.
func (w *wireLog) lastStructured(t *testing.T) string {
	t.Helper()
	raw, err := w.LastStructured()
	if err != nil {
		t.Fatalf("%v:\n%s", err, w.String())
	}
	return raw
}

// wireSession is session with the client's wire logged.
func wireSession(t *testing.T, d *Deps) (*mcp.ClientSession, *wireLog) {
	t.Helper()
	ct, st := mcp.NewInMemoryTransports()
	ctx := context.Background()
	if _, err := NewServer(d).Connect(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	w := &wireLog{}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test"}, nil).Connect(ctx, &mcp.LoggingTransport{Transport: ct, Writer: w}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs, w
}
