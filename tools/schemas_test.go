package tools

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"testing"

	"github.com/google/jsonschema-go/jsonschema"

	"github.com/mcpmend/mcpmend/registry"
)

// TestGeneratedSchemas: schemas.json, which clients read and every call is
// validated against, is what each tool's Go types give by reflection
// today, so it cannot drift from the types. `go generate ./tools` (this
// test with -update) rewrites it.
func TestGeneratedSchemas(t *testing.T) {
	want := reflectedSchemas(t)
	if *update {
		if err := os.WriteFile("schemas.json", want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	// A Windows checkout may carry CRLF line ends; the wire never does
	// (generatedSchemas compacts every schema).
	if !bytes.Equal(bytes.ReplaceAll(schemasJSON, []byte("\r\n"), []byte("\n")), want) {
		t.Errorf("tools/schemas.json differs from the tools' Go types: run go generate ./tools\n--- reflected\n%.3000s", want)
	}
	all, err := generatedSchemas()
	if err != nil {
		t.Fatal(err)
	}
	for name := range all { // and every schema resolves

		if _, err := resolveGenerated(name); err != nil {
			t.Error(err)
		}
	}
}

// reflectedSchemas infers every tool's schemas from its Go types, as
// schemas.json holds them.
func reflectedSchemas(t *testing.T) []byte {
	t.Helper()
	all := map[string]map[string]*jsonschema.Schema{}
	newServer(NewDeps(registry.OSEnv(), nil), func(name string, reflect func() (in, out *jsonschema.Schema, err error)) {
		in, out, err := reflect()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		all[name] = map[string]*jsonschema.Schema{"input": in, "output": out}
	})
	if len(all) != len(toolList) {
		t.Fatalf("%d tools reflected, %d in toolList", len(all), len(toolList))
	}
	return schemasFile(t, all)
}

// schemasFile lays the schemas out as schemas.json holds them: one tool
// per block, each schema compact on its own line, keys sorted, so that
// generatedSchemas reads the lines without decoding JSON.
func schemasFile(t *testing.T, all map[string]map[string]*jsonschema.Schema) []byte {
	t.Helper()
	names := slices.Sorted(maps.Keys(all))
	b := []byte("{\n")
	for i, name := range names {
		in, err := json.Marshal(all[name]["input"])
		if err != nil {
			t.Fatal(err)
		}
		out, err := json.Marshal(all[name]["output"])
		if err != nil {
			t.Fatal(err)
		}
		b = fmt.Appendf(b, "  %q: {\n    \"input\": %s,\n    \"output\": %s\n  }", name, in, out)
		if i < len(names)-1 {
			b = append(b, ',')
		}
		b = append(b, '\n')
	}
	return append(b, "}\n"...)
}

// TestSchemasFileLayout: reading schemas.json by its lines gives what
// decoding it as JSON gives.
func TestSchemasFileLayout(t *testing.T) {
	var decoded map[string]struct{ Input, Output json.RawMessage }
	if err := json.Unmarshal(schemasJSON, &decoded); err != nil {
		t.Fatal(err)
	}
	all, err := generatedSchemas()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(decoded) || len(all) != len(toolList) {
		t.Fatalf("%d tools read, %d decoded, %d in toolList", len(all), len(decoded), len(toolList))
	}
	for name, d := range decoded {
		var in, out bytes.Buffer
		json.Compact(&in, d.Input)
		json.Compact(&out, d.Output)
		if !bytes.Equal(all[name].Input, in.Bytes()) || !bytes.Equal(all[name].Output, out.Bytes()) {
			t.Errorf("%s: read %s / %s", name, all[name].Input, all[name].Output)
		}
	}
}
