package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mcpmend/mcpmend/internal/inert"
	"github.com/mcpmend/mcpmend/registry"
	"github.com/mcpmend/mcpmend/tools"
)

// emitHome is a home with servers whose names and commands hold what JSON
// escapes and what a terminal acts on, in several projects, and a
// needs-auth entry so that states are listed.
func emitHome(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	projects := map[string]any{}
	for i := range 40 {
		projects[filepath.Join(home, "src", fmt.Sprintf("p<%d>&\u2028", i))] = map[string]any{"mcpServers": map[string]any{
			"gh\x1b[31m": map[string]any{"command": "npx", "args": []string{"-y", "a\tb", "\xff"}},
			"linear":     map[string]any{"type": "http", "url": "https://mcp.linear.app/mcp"},
		}}
	}
	cfg, err := json.Marshal(map[string]any{"mcpServers": map[string]any{"linear": map[string]any{"type": "http", "url": "https://mcp.linear.app/mcp"}}, "projects": projects})
	if err != nil {
		t.Fatal(err)
	}
	needs := fmt.Sprintf(`{"linear":{"timestamp":%d}}`, time.Now().Add(-time.Minute).UnixMilli())
	for name, data := range map[string]string{".claude.json": string(cfg), ".claude/mcp-needs-auth-cache.json": needs} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(home, name)), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(home, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return home
}

// TestEmitStreamsExactly: `list --json` and `checkup --json`, which write
// their own JSON in chunks, print what an indenting json.Encoder prints for
// the same result, and `list`, which writes its own text, prints the text
// the list tool returns, made inert.
func TestEmitStreamsExactly(t *testing.T) {
	home := emitHome(t)
	env := registry.OSEnv().WithHome(home)
	d := tools.NewDeps(env, nil)
	list, err := tools.ListServers(context.Background(), d, tools.ListServersInput{})
	if err != nil || len(list.Servers) < 80 || len(list.States) == 0 {
		t.Fatalf("%v: %d servers, %d states", err, len(list.Servers), len(list.States))
	}
	check, err := tools.Checkup(context.Background(), d, tools.CheckupInput{SkipProbe: true})
	if err != nil {
		t.Fatal(err)
	}
	at := regexp.MustCompile(`(?m)^  "at": .*$`) // the checkup's own clock
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"list", "--json"}, encoded(t, list)},
		{[]string{"checkup", "--no-probe", "--json"}, encoded(t, check)},
		{[]string{"list"}, inert.Text(list.Text())},
	} {
		var out, errb bytes.Buffer
		run(context.Background(), append(c.args, "--home", home), strings.NewReader(""), &out, &errb)
		if got := at.ReplaceAllString(out.String(), ""); got != at.ReplaceAllString(c.want, "") {
			t.Errorf("%v printed (stderr %q):\n%s\nwant:\n%s", c.args, errb.String(), got, c.want)
		}
	}
}

func encoded(t *testing.T, v any) string {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetIndent("", "  ")
	if err := e.Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
