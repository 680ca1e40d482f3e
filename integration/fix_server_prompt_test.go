//go:build linux

package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpmend/mcpmend/tools"
)

// playbookCall is the prompt's first step, "1. Call diagnose with {…}.":
// the scripted model follows it the way a model reads it.
var playbookCall = regexp.MustCompile(`(?m)^1\. Call diagnose with (\{.*\})\.$`)

// TestFixServerPromptInRealClaudeCode types `/mcp__mcpmend__fix_server
// NAME` into each real Claude Code version in print mode (`claude -p`):
// every version expands the MCP prompt there (no REPL needed), so the
// prompt's text is the user message the model receives, verbatim. The
// scripted model then does the playbook's first step — diagnose with the
// arguments the prompt spells out — and the real session carries that call
// to mcpmend and its answer back: the stuck server, with the reset as next.
func TestFixServerPromptInRealClaudeCode(t *testing.T) {
	want := tools.FixServerPrompt(name54710)
	cfg, _ := json.Marshal(map[string]any{"mcpServers": map[string]any{"mcpmend": map[string]any{"command": binary, "args": []string{"serve"}}}})
	for _, cv := range claudeVersions {
		t.Run(cv.version, func(t *testing.T) {
			t.Parallel()
			claude := claudeAt(t, cv.pkg)
			home := t.TempDir()
			fixture54710(t, home, time.Now().Add(-2*time.Minute))
			mcpConfig := filepath.Join(home, "session-mcp.json")
			if err := os.WriteFile(mcpConfig, cfg, 0o600); err != nil {
				t.Fatal(err)
			}
			// The handler runs on the model server's goroutines, which the
			// claude process in between does not order with this one: the
			// model is reached through an atomic pointer and what it saw is
			// kept under a lock (the step itself runs under the model's lock,
			// so its texts are safe to read there).
			var self atomic.Pointer[scriptedModel]
			var mu sync.Mutex
			var prompted []string
			model := newScriptedModel(t, func(offered map[string]bool, results []string) *toolUse {
				if len(results) > 0 {
					return nil
				}
				texts := self.Load().texts
				mu.Lock()
				prompted = append([]string(nil), texts...)
				mu.Unlock()
				for _, text := range texts {
					var args map[string]any
					if m := playbookCall.FindStringSubmatch(text); m != nil && json.Unmarshal([]byte(m[1]), &args) == nil && offered["mcp__mcpmend__diagnose"] {
						return &toolUse{Name: "mcp__mcpmend__diagnose", Input: args}
					}
				}
				return nil
			})
			self.Store(model)
			env := append(homeEnv(home), "ANTHROPIC_BASE_URL="+model.URL, "ANTHROPIC_API_KEY=sk-ant-test-not-a-key", "ENABLE_TOOL_SEARCH=false")
			out := runWith(t, env, home, false, claude, "-p", "/mcp__mcpmend__fix_server "+name54710, "--output-format", "stream-json", "--verbose",
				"--mcp-config", mcpConfig, "--strict-mcp-config", "--allowedTools", "mcp__mcpmend__diagnose")
			mu.Lock()
			defer mu.Unlock()
			if !contains(prompted, want) {
				t.Fatalf("%s: the model's first request does not carry the prompt's text; its user texts:\n%q\nstdout: %.2000s", cv.version, prompted, out)
			}
			_, results := model.record()
			if len(results) != 1 || !strings.Contains(results[0], "stale-needs-auth") || !strings.Contains(results[0], "reset_server_auth") {
				t.Fatalf("%s: diagnose through the real session returned %q", cv.version, results)
			}
			if strings.Contains(out+strings.Join(results, ""), "CANARY") {
				t.Errorf("%s: a header value reached the session", cv.version)
			}
		})
	}
}
