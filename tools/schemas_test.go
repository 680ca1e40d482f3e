package tools

import (
	"bytes"
	"encoding/json"
	"os"
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
	raw, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(raw, '\n')
}
