package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpmend/mcpmend/registry"
)

var update = flag.Bool("update", false, "rewrite the tools/testdata/<tool>/*.txtar goldens from what the tools return")

// archive is a txtar archive: a comment, then files, each introduced by a
// "-- name --" line (golang.org/x/tools/txtar's format, parsed here to keep
// the module's dependencies as they are).
type archive struct {
	comment string
	files   []archiveFile
}

type archiveFile struct {
	name string
	data string
}

func parseArchive(data string) archive {
	var a archive
	cur := -1
	for _, line := range strings.SplitAfter(data, "\n") {
		if name, ok := strings.CutPrefix(strings.TrimRight(line, "\n"), "-- "); ok && strings.HasSuffix(name, " --") {
			a.files = append(a.files, archiveFile{name: strings.TrimSuffix(name, " --")})
			cur = len(a.files) - 1
			continue
		}
		if cur < 0 {
			a.comment += line
		} else {
			a.files[cur].data += line
		}
	}
	return a
}

func (a archive) format() []byte {
	var b bytes.Buffer
	b.WriteString(a.comment)
	for _, f := range a.files {
		b.WriteString("-- " + f.name + " --\n")
		b.WriteString(f.data)
		if f.data != "" && !strings.HasSuffix(f.data, "\n") {
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

// goldenNow is the clock of every golden: stamps in the fake homes are
// written relative to it.
var goldenNow = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// TestToolGoldens runs each tool on the fake home of every
// testdata/<tool>/*.txtar and compares what a model receives — the text
// content and the structuredContent — with the archive's "text" and
// "structured.json", so the words a model reads are reviewed in diffs.
// Archive files under home/ are the home; "input.json" is the arguments.
// go test ./tools -run TestToolGoldens -update rewrites the goldens.
func TestToolGoldens(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "*", "*.txtar"))
	if len(paths) == 0 {
		t.Fatal("no goldens")
	}
	for _, p := range paths {
		tool := filepath.Base(filepath.Dir(p))
		t.Run(tool+"/"+strings.TrimSuffix(filepath.Base(p), ".txtar"), func(t *testing.T) {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			a := parseArchive(string(data))
			home := t.TempDir()
			args := map[string]any{}
			for _, f := range a.files {
				switch {
				case strings.HasPrefix(f.name, "home/"):
					dst := filepath.Join(home, filepath.FromSlash(strings.TrimPrefix(f.name, "home/")))
					os.MkdirAll(filepath.Dir(dst), 0o700)
					if err := os.WriteFile(dst, []byte(f.data), 0o600); err != nil {
						t.Fatal(err)
					}
				case f.name == "input.json":
					if err := json.Unmarshal([]byte(f.data), &args); err != nil {
						t.Fatalf("input.json: %v", err)
					}
				}
			}
			env := registry.Env{Home: home, GOOS: "linux", CWD: home, Getenv: func(string) string { return "" }}
			d := NewDeps(env, nil)
			d.Now = func() time.Time { return goldenNow }
			cs, _ := session(t, d)
			res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: tool, Arguments: args})
			if err != nil {
				t.Fatal(err)
			}
			var text strings.Builder
			for _, c := range res.Content {
				if tc, ok := c.(*mcp.TextContent); ok {
					text.WriteString(tc.Text)
				}
			}
			structured, _ := json.MarshalIndent(res.StructuredContent, "", "  ")
			got := map[string]string{
				"text":            strings.ReplaceAll(text.String(), home, "$HOME") + "\n",
				"structured.json": strings.ReplaceAll(string(structured), home, "$HOME") + "\n",
			}
			if res.IsError {
				got["text"] = "(error) " + got["text"]
			}
			if *update {
				var kept []archiveFile
				for _, f := range a.files {
					if _, ok := got[f.name]; !ok {
						kept = append(kept, f)
					}
				}
				a.files = append(kept, archiveFile{"text", got["text"]}, archiveFile{"structured.json", got["structured.json"]})
				if err := os.WriteFile(p, a.format(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			for _, f := range a.files {
				if want, ok := got[f.name]; ok && f.data != want {
					t.Errorf("%s differs from %s (go test ./tools -run TestToolGoldens -update):\n--- want\n%s\n--- got\n%s", f.name, p, f.data, want)
				}
				delete(got, f.name)
			}
			for name := range got {
				t.Errorf("%s lacks %q (go test ./tools -run TestToolGoldens -update)", p, name)
			}
		})
	}
}
