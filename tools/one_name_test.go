package tools

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/registry"
	"github.com/mcpmend/mcpmend/tools/diagnose"
)

// desktopHome is a home with Claude Desktop's Local Storage (written by
// real Chromium: items keyed by "github" and "github-tools") and a
// ~/.claude.json that defines github for Claude Code — which Claude
// Desktop's Code chat uses under the same name.
func desktopHome(t *testing.T, claudeServers string) *Deps {
	t.Helper()
	home := t.TempDir()
	ls := filepath.Join(home, ".config", "Claude", "Local Storage", "leveldb")
	if err := os.CopyFS(ls, os.DirFS(filepath.Join("..", "internal", "localstorage", "testdata", "chromium-localstorage", "leveldb"))); err != nil {
		t.Fatal(err)
	}
	if claudeServers != "" {
		if err := os.WriteFile(filepath.Join(home, ".claude.json"), []byte(`{"mcpServers":`+claudeServers+`}`), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return NewDeps(registry.Env{Home: home, CWD: home, GOOS: "linux", Getenv: func(string) string { return "" }}, nil)
}

// TestOneNameEveryMemory: a server defined in ~/.claude.json is the same
// name Claude Desktop's Code chat remembers; state, diagnose_server and a
// dry-run reset for the Claude Code definition cover Desktop's items keyed
// by that name too — not only with --client claude-desktop.
func TestOneNameEveryMemory(t *testing.T) {
	d := desktopHome(t, `{"github":{"type":"http","url":"http://127.0.0.1:9/mcp","headers":{"Authorization":"Bearer CANARY-hdr"}}}`)
	ctx := context.Background()

	st, err := ServerState(ctx, d, ServerStateInput{Name: "github"})
	if err != nil {
		t.Fatal(err)
	}
	desktopSeen := false
	for _, s := range st.Stores {
		desktopSeen = desktopSeen || s.Store == store.Desktop && len(s.Records) > 0
	}
	if st.Server.Client != registry.ClaudeCode || !desktopSeen {
		t.Errorf("state of the Claude Code github does not show Desktop's items: client %s, stores %+v", st.Server.Client, st.Stores)
	}

	rep, err := DiagnoseServer(ctx, d, DiagnoseServerInput{Name: "github", SkipProbe: true})
	if err != nil {
		t.Fatal(err)
	}
	if !hasCode(rep.Report, "desktop-memory") {
		t.Errorf("diagnose_server github does not mention Desktop's items: %+v", rep.Report.Findings)
	}

	rs, err := ResetServerAuth(ctx, d, ResetServerAuthInput{Name: "github", DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	desktop := 0
	for _, c := range rs.Changes {
		if c.Store == store.Desktop {
			desktop++
		}
	}
	if desktop == 0 {
		t.Errorf("reset of the Claude Code github leaves Desktop's items: %+v", rs.Changes)
	}
	raw, _ := json.Marshal([]any{st, rep, rs})
	if strings.Contains(string(raw), "CANARY") {
		t.Errorf("a secret leaked: %s", raw)
	}
}

// TestDiagnoseConnector: a name only Desktop's storage knows (a connector
// from Settings → Connectors) resolves in diagnose_server instead of "no
// server named …".
func TestDiagnoseConnector(t *testing.T) {
	d := desktopHome(t, "")
	rep, err := DiagnoseServer(context.Background(), d, DiagnoseServerInput{Name: "github"})
	if err != nil {
		t.Fatalf("diagnose_server of a Desktop connector: %v", err)
	}
	if rep.Report.Server.Scope != ScopeConnector || rep.Report.NotProbed == "" || !hasCode(rep.Report, "desktop-memory") {
		t.Errorf("connector report: %+v", rep.Report)
	}
	// A connector has no entry to fix: no "fix the github entry in  ()".
	if txt := rep.Text(); hasCode(rep.Report, "config-problem") || strings.Contains(txt, " entry in ") || strings.Contains(txt, "()") {
		t.Errorf("a connector is judged as a broken config entry:\n%s", txt)
	}
	if _, err := DiagnoseServer(context.Background(), d, DiagnoseServerInput{Name: "nosuch"}); err == nil {
		t.Error("a name nothing knows resolved")
	}
}

func hasCode(r diagnose.Report, code string) bool {
	for _, f := range r.Findings {
		if f.Code == code {
			return true
		}
	}
	return false
}

// TestCheckupListsConnectors: checkup reports the names only Desktop's
// storage knows (connectors) instead of "No MCP servers to check", and
// leaves out a name a config file defines (that one is reported as itself).
func TestCheckupListsConnectors(t *testing.T) {
	d := desktopHome(t, `{"github":{"type":"http","url":"http://127.0.0.1:9/mcp"}}`)
	out, err := Checkup(context.Background(), d, CheckupInput{SkipProbe: true})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range out.Servers {
		got[r.Server.Name] = r.Server.Client + "/" + r.Server.Scope
	}
	if got["github-tools"] != "claude-desktop/"+ScopeConnector || got["github"] != "claude-code/user" || len(got) != 2 {
		t.Errorf("checkup servers = %v", got)
	}
	if strings.Contains(out.Text(), "No MCP servers to check") {
		t.Errorf("checkup text:\n%s", out.Text())
	}
}
