package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpmend/mcpmend/internal/lazyre"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestGlobalFlagsAnywhere: --home, --json and --log-level work before the
// command, after it and after its arguments.
func TestGlobalFlagsAnywhere(t *testing.T) {
	home := t.TempDir()
	cfg := `{"mcpServers":{"docs":{"type":"http","url":"https://docs.example/mcp"}}}`
	if err := os.WriteFile(filepath.Join(home, ".claude.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"--home", home, "list", "--json"},
		{"list", "--home=" + home, "--client", "claude-code", "--json"},
		{"--json", "list", "docs", "--home", home},
		{"--log-level", "debug", "--home", home, "--json", "list"},
	} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), args, strings.NewReader(""), &out, &errb); code != 0 {
			t.Errorf("%v: exit %d: %s", args, code, errb.String())
			continue
		}
		if !json.Valid(out.Bytes()) || !strings.Contains(out.String(), `"docs"`) {
			t.Errorf("%v: want JSON naming docs, got %s", args, out.String())
		}
	}
}

func TestBadFlagsNameTheProblem(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"list", "--home"}, "--home needs a value"},
		{[]string{"--log-level", "loud", "list"}, `--log-level "loud"`},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"list", "--client", "notepad"}, `unknown client "notepad"`},
	} {
		var out, errb bytes.Buffer
		code := run(context.Background(), tt.args, strings.NewReader(""), &out, &errb)
		if code == 0 || !strings.Contains(errb.String(), tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want non-zero and %q", tt.args, code, errb.String(), tt.want)
		}
	}
}

// TestListJSONOnHome runs the list command in-process on a fixture home: the
// --home flag after the command is honoured and the JSON parses.
func TestListJSONOnHome(t *testing.T) {
	home := t.TempDir()
	cfg := `{"mcpServers":{"docs":{"type":"http","url":"https://docs.example/mcp"}}}`
	if err := os.WriteFile(filepath.Join(home, ".claude.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"list", "--home", home, "--json"}, strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var res struct {
		Servers []struct{ Name, Client, Transport string }
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("list --json output does not parse: %v\n%s", err, out.String())
	}
	if len(res.Servers) != 1 || res.Servers[0].Name != "docs" || res.Servers[0].Transport != "http" {
		t.Errorf("servers = %+v, want the one http server docs", res.Servers)
	}
}

// loopbackMCP serves a healthy streamable-HTTP MCP server on 127.0.0.1 for
// the rest of the test.
func loopbackMCP(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server {
		return mcp.NewServer(&mcp.Implementation{Name: "cli-target", Version: "1"}, nil)
	}, nil))
	t.Cleanup(srv.Close)
	return srv
}

// TestPatternsCompile: every package-level pattern (compiled lazily, on
// first use, so that start-up does not pay for it) is valid, and no source
// file compiles one with regexp.MustCompile, which a package-level variable
// would run before main on every start of `mcpmend serve`.
func TestPatternsCompile(t *testing.T) {
	if err := lazyre.CompileAll(); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join("..", "..")
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() && (d.Name() == "node_modules" || d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && p != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") || strings.Contains(filepath.ToSlash(p), "internal/lazyre/") {
			return nil
		}
		src, err := os.ReadFile(p)
		if err == nil && strings.Contains(string(src), "regexp.MustCompile(") {
			t.Errorf("%s compiles a pattern with regexp.MustCompile: use lazyre.New (internal/lazyre)", p)
		}
		return nil
	})
}
