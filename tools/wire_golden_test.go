package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/mcpmend/mcpmend/registry"
)

// TestWireGoldens pins what a client reads about mcpmend itself, byte for
// byte as the server sends it: the server/discover result (what initialize says, in the 2026-07-28 protocol), tools/list (every
// name, description, annotation, input and output schema, in order) and
// prompts/list. The goldens are the indented form of the wire bytes; the
// wire must equal their compact form exactly, so a change to the schemas'
// construction (reflection, the generated file, lazy resolution) that a
// client could notice fails here.
//
//	go test ./tools -run TestWireGoldens -update
func TestWireGoldens(t *testing.T) {
	d := NewDeps(registry.Env{Home: t.TempDir(), GOOS: "linux", Getenv: func(string) string { return "" }}, nil)
	cs, wire := wireSession(t, d)
	ctx := context.Background()
	if _, err := cs.ListTools(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.ListPrompts(ctx, nil); err != nil {
		t.Fatal(err)
	}
	for _, g := range []struct{ file, marker string }{
		{"discover.json", `"supportedVersions":`},
		{"tools_list.json", `"tools":[`},
		{"prompts_list.json", `"prompts":[`},
	} {
		raw := wire.result(t, g.marker)
		path := filepath.Join("testdata", "wire", g.file)
		if *update {
			var b bytes.Buffer
			if err := json.Indent(&b, raw, "", "  "); err != nil {
				t.Fatal(err)
			}
			b.WriteByte('\n')
			if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var c bytes.Buffer
		if err := json.Compact(&c, want); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if !bytes.Equal(c.Bytes(), raw) {
			t.Errorf("the wire differs from %s (go test ./tools -run TestWireGoldens -update):\n--- want\n%s\n--- got\n%s", path, c.Bytes(), raw)
		}
	}
}

// result is the raw "result" of the first response read whose result
// contains marker, byte for byte as the server sent it.
func (w *wireLog) result(t *testing.T, marker string) []byte {
	t.Helper()
	raw, err := w.Result(marker)
	if err != nil {
		t.Fatalf("%v:\n%s", err, w.String())
	}
	return raw
}
