package jsonedit

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// nodeOracle returns what Node writes for doc after deleting path (raw nil)
// or setting it to raw: the reference a byte-identical edit must match.
func nodeOracle(t *testing.T, doc []byte, p Path, raw []byte, indent int) []byte {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed: it is the reference for Node's JSON layout")
	}
	in := map[string]any{"doc": string(doc), "path": []string(p), "indent": indent}
	if raw != nil {
		in["raw"] = string(raw)
	}
	b, _ := json.Marshal(in)
	cmd := exec.Command(node, "testdata/oracle.js")
	cmd.Stdin = bytes.NewReader(b)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node oracle: %v", err)
	}
	return out
}

func readFixture(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/claude.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestEditsMatchNodeByteForByte edits a ~/.claude.json written by the real
// Claude Code CLI and a compact .credentials.json and compares every result
// with what Node's JSON.stringify writes for the same change: every byte not
// touched stays, the layout stays Node's.
func TestEditsMatchNodeByteForByte(t *testing.T) {
	claude := readFixture(t)
	creds := nodeOracle(t, []byte(`{"claudeAiOauth":{"accessToken":"CANARY-a"},"mcpOAuth":{"github|78d8e2894fc42213":{"serverName":"github","accessToken":"CANARY-b","discoveryState":{"tokenlessRejectedAt":1}},"x.y|0000000000000000":{"serverName":"x.y"}}}`), Path{"unused"}, nil, 0)
	tests := []struct {
		name   string
		doc    []byte
		style  Style
		indent int
		path   Path
		raw    []byte // nil: delete
	}{
		{"delete a user server", claude, Node, 2, Path{"mcpServers", "github"}, nil},
		{"delete the last user server key", claude, Node, 2, Path{"mcpServers", "x-1"}, nil},
		{"delete a local server under a project path with . and *", claude, Node, 2, Path{"projects", "/home/u/my.proj*dir", "mcpServers", "local_srv"}, nil},
		{"replace a server entry in place", claude, Node, 2, Path{"mcpServers", "files"}, []byte(`{"command":"uvx","args":["a"]}`)},
		{"add a server with a dotted name", claude, Node, 2, Path{"mcpServers", "new.name"}, []byte(`{"type":"http","url":"http://x/mcp"}`)},
		{"add under a new parent", claude, Node, 2, Path{"newTop", "inner"}, []byte(`[1,{"a":[]}]`)},
		{"auto keeps Node layout", claude, Auto, 2, Path{"mcpServers", "github"}, nil},
		{"compact: delete a token entry", creds, Compact, 0, Path{"mcpOAuth", "github|78d8e2894fc42213"}, nil},
		{"compact: delete a gate stamp", creds, Compact, 0, Path{"mcpOAuth", "github|78d8e2894fc42213", "discoveryState", "tokenlessRejectedAt"}, nil},
		{"compact: delete a dotted key", creds, Compact, 0, Path{"mcpOAuth", "x.y|0000000000000000"}, nil},
		{"compact: re-insert a token entry", creds, Compact, 0, Path{"mcpOAuth", "z|1"}, []byte(`{"serverName":"z"}`)},
		{"keep: compact file stays compact", creds, Keep, 0, Path{"mcpOAuth", "github|78d8e2894fc42213"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []byte
			var err error
			if tt.raw == nil {
				got, err = Delete(tt.doc, tt.path)
			} else {
				got, err = SetRaw(tt.doc, tt.path, tt.raw)
			}
			if err != nil {
				t.Fatal(err)
			}
			got = Format(tt.doc, got, tt.style)
			want := nodeOracle(t, tt.doc, tt.path, tt.raw, tt.indent)
			if !bytes.Equal(got, want) {
				t.Fatalf("edit differs from Node's output\n got: %s\nwant: %s", got, want)
			}
		})
	}
}

func TestUntouchedNodeFileIsAFixedPoint(t *testing.T) {
	doc := readFixture(t)
	if !IsNode(doc) {
		t.Fatal("the real CLI's ~/.claude.json is not recognised as Node layout")
	}
	for _, s := range []Style{Auto, Node, Keep} {
		if got := Format(doc, doc, s); !bytes.Equal(got, doc) {
			t.Fatalf("style %d re-formatted an untouched Node file", s)
		}
	}
	if got, _ := Delete(doc, Path{"mcpServers", "absent"}); !bytes.Equal(got, doc) {
		t.Fatal("deleting an absent key changed bytes")
	}
}

func TestHandFormattedFileIsNotReindented(t *testing.T) {
	doc := []byte("{\n    \"mcpServers\": {\"a\": {\"command\": \"x\"},   \"b\": {\"command\": \"y\"}},\n    \"z\": 1\n}\n")
	got, err := Delete(doc, Path{"mcpServers", "a"})
	if err != nil {
		t.Fatal(err)
	}
	got = Format(doc, got, Auto)
	// Only the key, its value and its comma go; sjson leaves the spaces
	// that followed them, and nothing else moves.
	want := "{\n    \"mcpServers\": {   \"b\": {\"command\": \"y\"}},\n    \"z\": 1\n}\n"
	if string(got) != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}

// TestKeysThatArePathSyntax: every gjson/sjson syntax character in a key is
// taken literally, so an edit never lands on a sibling key.
func TestKeysThatArePathSyntax(t *testing.T) {
	doc := []byte(`{"s":{"a*":1,"ab":2,"a?":3,"a.b":4,"a":{"b":5},"a|b":6,"#":7,"@this":8,"back\\slash":9,"123":10,":x":11,"x":12}}`)
	keys := []string{"a*", "ab", "a?", "a.b", "a|b", "#", "@this", `back\slash`, "123", ":x", "x"}
	for _, k := range keys {
		t.Run(k, func(t *testing.T) {
			raw, ok, err := Get(doc, Path{"s", k})
			if err != nil || !ok {
				t.Fatalf("Get(%q): ok=%v err=%v", k, ok, err)
			}
			got, err := Delete(doc, Path{"s", k})
			if err != nil {
				t.Fatal(err)
			}
			var before, after map[string]map[string]any
			json.Unmarshal(doc, &before)
			if err := json.Unmarshal(got, &after); err != nil {
				t.Fatalf("result does not parse: %v", err)
			}
			delete(before["s"], k)
			if b1, _ := json.Marshal(before); !bytes.Equal(b1, mustMarshal(after)) {
				t.Fatalf("deleting %q removed more or less than that key: %s", k, got)
			}
			back, err := SetRaw(got, Path{"s", k}, raw)
			if err != nil {
				t.Fatal(err)
			}
			if v, ok, _ := Get(back, Path{"s", k}); !ok || !bytes.Equal(v, raw) {
				t.Fatalf("re-inserting %q: %s", k, back)
			}
		})
	}
	// Creating a numeric key makes an object key, not a null-padded array.
	got, err := SetRaw([]byte(`{}`), Path{"m", "42"}, []byte(`true`))
	if err != nil || string(got) != `{"m":{"42":true}}` {
		t.Fatalf("numeric key: %s %v", got, err)
	}
}

func mustMarshal(v any) []byte { b, _ := json.Marshal(v); return b }

func TestBadPathsAndValues(t *testing.T) {
	if _, err := Delete([]byte(`{}`), Path{}); err == nil {
		t.Error("empty path accepted")
	}
	if _, err := Delete([]byte(`{}`), Path{"a", ""}); err == nil {
		t.Error("empty key accepted")
	}
	if _, err := SetRaw([]byte(`{}`), Path{"a"}, []byte(`{bad`)); err == nil {
		t.Error("invalid raw value accepted")
	}
	if _, err := SetRaw([]byte(`{"a":[1]}`), Path{"a", "b"}, []byte(`1`)); err == nil || !strings.Contains(err.Error(), "not an object") {
		t.Errorf("set under an array: %v", err)
	}
	if _, ok, _ := Get([]byte(`{"a":[{"b":1}]}`), Path{"a", "0", "b"}); ok {
		t.Error("a key path matched through an array index")
	}
}

func TestPathString(t *testing.T) {
	got := Path{"mcpOAuth", "github|78d8e2894fc42213", "discoveryState"}.String()
	if want := `mcpOAuth["github|78d8e2894fc42213"].discoveryState`; got != want {
		t.Fatalf("%s, want %s", got, want)
	}
}

func BenchmarkDeleteNodeFile(b *testing.B) {
	doc, _ := os.ReadFile("testdata/claude.json")
	for b.Loop() {
		out, _ := Delete(doc, Path{"mcpServers", "github"})
		Format(doc, out, Node)
	}
}

// BenchmarkDeleteViaEncodingJSON is the alternative jsonedit avoids:
// unmarshal, delete, marshal (which also loses key order and layout).
func BenchmarkDeleteViaEncodingJSON(b *testing.B) {
	doc, _ := os.ReadFile("testdata/claude.json")
	for b.Loop() {
		var m map[string]any
		json.Unmarshal(doc, &m)
		delete(m["mcpServers"].(map[string]any), "github")
		json.MarshalIndent(m, "", "  ")
	}
}
