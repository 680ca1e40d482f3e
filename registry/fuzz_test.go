package registry

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// Fuzz targets for every client's file reader: the input is written where
// the client keeps its file and the client's discoverer reads it. Whatever
// the bytes, discovery returns (no panic, no hang, no stack overflow), and
// what it lists is well formed.

// fuzzClient runs one client's discoverer on the fuzzed contents of rel
// (a path under a temporary home, or under the project when project is set).
func fuzzClient(f *testing.F, client string, find discoverer, rel string, project bool, seeds ...string) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	root := f.TempDir()
	home, repo := filepath.Join(root, "home"), filepath.Join(root, "repo")
	base := home
	if project {
		base = repo
	}
	path := filepath.Join(base, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		f.Fatal(err)
	}
	if err := os.MkdirAll(home, 0o755); err != nil {
		f.Fatal(err)
	}
	env := Env{Home: home, CWD: repo, GOOS: "linux", Getenv: func(k string) string {
		if k == ManagedDirVar {
			return filepath.Join(root, "none")
		}
		return ""
	}}
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		servers, problems := find(env)
		for _, s := range servers {
			if s.Client != client || s.File == "" {
				t.Fatalf("malformed server %+v", s)
			}
			if project && s.File == path && !s.Untrusted && client != ClaudeCode {
				t.Fatalf("%s: a project server from a folder nobody trusted is trusted", s.ID())
			}
		}
		for _, p := range problems {
			if p.File == "" || p.Message == "" {
				t.Fatalf("problem without file or message: %+v", p)
			}
		}
		if _, err := json.Marshal(servers); err != nil {
			t.Fatal(err)
		}
	})
}

const fuzzServers = `{"mcpServers": {"a": {"command": "x", "args": ["--token", "t"], "env": {"K": "v"}}, "b": {"type": "http", "url": "https://u:p@h/x?key=1", "headers": {"A": "b"}, "headersHelper": "h"}, "a": {"command": "y"}}}`

func FuzzClaudeCodeMain(f *testing.F) {
	fuzzClient(f, ClaudeCode, discoverClaudeCode, ".claude.json", false, fuzzServers,
		`{"projects": {"/p": {"mcpServers": {"l": {"command": "l"}}, "hasTrustDialogAccepted": true}}, "projects": {}}`, `[[[[`)
}

func FuzzClaudeCodeProject(f *testing.F) {
	fuzzClient(f, ClaudeCode, discoverClaudeCode, ".mcp.json", true, fuzzServers, `{"mcpServers": {"x": "y"}}`)
}

func FuzzDesktop(f *testing.F) {
	fuzzClient(f, ClaudeDesktop, discoverDesktop, filepath.Join(".config", "Claude", desktopConfig), false, fuzzServers)
}

func FuzzCursor(f *testing.F) {
	fuzzClient(f, Cursor, discoverCursor, filepath.Join(".cursor", "mcp.json"), true, fuzzServers)
}

func FuzzVSCode(f *testing.F) {
	fuzzClient(f, VSCode, discoverVSCode, filepath.Join(".vscode", "mcp.json"), true,
		`// c
{"servers": {"s": {"command": "x", "args": ["${input:k}"]},}, "inputs": [{"id": "k"}],}`)
}

func FuzzWindsurf(f *testing.F) {
	fuzzClient(f, Windsurf, discoverWindsurf, filepath.Join(".codeium", "windsurf", "mcp_config.json"), false,
		`{"mcpServers": {"w": {"serverUrl": "https://h/x", "disabled": true}}}`)
}

func FuzzCodex(f *testing.F) {
	fuzzClient(f, Codex, discoverCodex, filepath.Join(".codex", "config.toml"), true,
		"[mcp_servers.a]\ncommand = \"x\"\nargs = [\"-y\"]\nenv = { K = \"v\" }\n[mcp_servers.b]\nurl = \"https://h\"\nbearer_token_env_var = \"T\"\nenv_http_headers = { \"X\" = \"Y\" }\n",
		"a = [[[[[[[[1]]]]]]]]\n", "'''\n[[x]]\n'''")
}

func FuzzGemini(f *testing.F) {
	fuzzClient(f, Gemini, discoverGemini, filepath.Join(".gemini", "settings.json"), true,
		`{"mcpServers": {"g": {"httpUrl": "https://h"}}, "mcp": {"allowed": ["g"]}}`)
}

func FuzzZed(f *testing.F) {
	fuzzClient(f, Zed, discoverZed, filepath.Join(".config", "zed", "settings.json"), false,
		`{"context_servers": {"z": {"command": {"path": "x", "args": []}}, "e": {"settings": {}}}}`)
}

// FuzzGeminiTrust: any trustedFolders.json, and a repository is trusted
// only when a rule names it or a folder above it.
func FuzzGeminiTrust(f *testing.F) {
	fuzzClient(f, Gemini, discoverGemini, filepath.Join(".gemini", "trustedFolders.json"), false,
		`{"/": "DO_NOT_TRUST", "/x/y": "TRUST_PARENT"}`)
}

// FuzzDedupeJSON: resolving duplicates changes nothing encoding/json (which
// also keeps the last of duplicate keys) can see.
func FuzzDedupeJSON(f *testing.F) {
	f.Add([]byte(`{"a":1,"a":{"b":[1,{"c":2,"c":3}]},"d":"\u0061"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if s := (&jsonScanner{data: data}); !s.document(nil) {
			return
		}
		var before, after any
		if err := json.Unmarshal(data, &before); err != nil {
			return // valid for JSON.parse, not for Go (e.g. invalid UTF-8 handling is the same, depth is not)
		}
		out := dedupeJSON(data)
		if full := rewriteDuplicates(data); !bytes.Equal(out, full) {
			t.Fatalf("dedupeJSON(%q) = %q, the full rewrite %q (hasDuplicateKeys = %v)", data, out, full, hasDuplicateKeys(data))
		}
		if err := json.Unmarshal(out, &after); err != nil {
			t.Fatalf("dedupeJSON(%q) = %q, not valid JSON: %v", data, out, err)
		}
		if !reflect.DeepEqual(before, after) {
			t.Fatalf("dedupeJSON(%q) = %q changes the value", data, out)
		}
	})
}
