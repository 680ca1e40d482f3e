package jsonout

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/mcpmend/mcpmend/registry"
)

// BenchmarkServer encodes one typical server, indented, with encoding/json
// (an Encoder with SetIndent, reusing its buffer) and here (reusing the
// buffer too): the per-server cost behind `list --json`.
//
//	go test ./tools/jsonout -run '^$' -bench Server
func BenchmarkServer(b *testing.B) {
	s := &registry.Server{Name: "github", Client: registry.ClaudeCode, Scope: "local", Project: "/home/u/src/project-0042",
		File: "/home/u/.claude.json", Path: `projects.\/home\/u\/src\/project-0042.mcpServers.github`, Transport: registry.Stdio,
		Command: "npx", Args: []string{"-y", "mcp-remote", "https://gw.example.com/mcp"}, EnvNames: []string{"GITHUB_TOKEN"},
		WorkDir: "/home/u/src/project-0042", Effective: true}
	b.Run("encoding_json", func(b *testing.B) {
		var buf bytes.Buffer
		e := json.NewEncoder(&buf)
		e.SetIndent("", "  ")
		b.ReportAllocs()
		for b.Loop() {
			buf.Reset()
			if err := e.Encode(s); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("jsonout", func(b *testing.B) {
		w := Append(make([]byte, 0, 4096), true)
		b.ReportAllocs()
		for b.Loop() {
			w.buf = w.buf[:0]
			w.Server(s)
		}
	})
}
