package registry_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mcpmend/mcpmend/registry"
	"github.com/mcpmend/mcpmend/tools"
)

// TestClaudeCodeTextHasNoSecrets runs list_servers' engine on the Claude
// Code fixture, with canary secrets in headers, env, URLs, args and a
// substituted ${VAR}, and checks both the structured result and the text a
// model reads.
func TestClaudeCodeTextHasNoSecrets(t *testing.T) {
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join("testdata", "claudecode", "main")
	err = filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(root, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(root, rel), []byte(strings.ReplaceAll(string(data), "@ROOT@", strings.ReplaceAll(root, `\`, `\\`))), 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"API_KEY": "CANARY-var-key", registry.ManagedDirVar: filepath.Join(root, "managed")}
	env := registry.Env{Home: filepath.Join(root, "home"), CWD: filepath.Join(root, "proj"), GOOS: "linux", Getenv: func(k string) string { return vars[k] }}
	d := tools.NewDeps(env, slog.New(slog.NewTextHandler(io.Discard, nil)))
	out, err := tools.ListServers(context.Background(), d, tools.ListServersInput{Client: registry.ClaudeCode})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Servers) < 20 {
		t.Fatalf("only %d servers listed", len(out.Servers))
	}
	js, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	text := out.Text()
	for form, s := range map[string]string{"json": string(js), "text": text} {
		if i := strings.Index(s, "CANARY"); i >= 0 {
			t.Errorf("%s output leaks a canary: …%s…", form, s[max(0, i-80):min(len(s), i+40)])
		}
	}
	for _, want := range []string{"stdio-env  stdio  user  node srv.js --api-key [redacted] --token=[redacted] --label=[redacted]", "not used: enterprise", "pending", "rejected"} {
		// The text's columns are padded: compare with runs of spaces collapsed.
		if collapse := regexp.MustCompile(`  +`); !strings.Contains(collapse.ReplaceAllString(text, "  "), want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
}
