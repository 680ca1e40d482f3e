package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"

	_ "embed"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Cold start: every client session spawns `mcpmend serve` and waits for its
// initialize result, so nothing a session may never use is done before it.
// Inferring and resolving the tools' JSON schemas by reflection took most
// of mcpmend's start-up (go test ./tools -bench NewServer), so the schemas
// are generated at build time into schemas.json, registered with the SDK
// as placeholders, and read only when a client lists the tools or calls
// one:
//
//   - tools/list: a receiving middleware hands out a copy of each tool
//     with its schemas from schemas.json (decoded once per process);
//   - tools/call: the tool's handler validates arguments and its result
//     against the same schemas, resolved on its first call.
//
// TestGeneratedSchemas keeps schemas.json equal to what the Go types give
// (`go generate ./tools` rewrites it), and TestWireGoldens keeps what a
// client reads byte for byte as before.
//
// The SDK's own copy of a tool keeps the placeholders: for a tool
// registered with Server.AddTool it reads the input schema only for
// x-mcp-header annotations, which mcpmend's tools do not have, and never
// reads the output schema.

//go:generate go test -run ^TestGeneratedSchemas$ -update

//go:embed schemas.json
var schemasJSON []byte

// toolSchemas is one tool's entry in schemas.json.
type toolSchemas struct {
	Input  json.RawMessage `json:"input"`
	Output json.RawMessage `json:"output"`
}

// generatedSchemas reads schemas.json once. The generator writes each
// schema compact on a line of its own ("input": {…}, / "output": {…}
// under the tool's "name": { line), so it is read by its lines, not
// decoded: decoding and compacting the file cost a client's first
// tools/list in a fresh process more than listing itself
// (TestSchemasFileLayout checks both readings agree).
var generatedSchemas = sync.OnceValues(func() (map[string]toolSchemas, error) {
	all := map[string]toolSchemas{}
	name := ""
	for line := range bytes.Lines(schemasJSON) {
		line = bytes.TrimRight(line, "\r\n")
		switch {
		case bytes.HasPrefix(line, []byte(`  "`)) && bytes.HasSuffix(line, []byte(`": {`)):
			name = string(line[3 : len(line)-4])
		case bytes.HasPrefix(line, []byte(`    "input": `)):
			ts := all[name]
			ts.Input = bytes.TrimSuffix(line[len(`    "input": `):], []byte(","))
			all[name] = ts
		case bytes.HasPrefix(line, []byte(`    "output": `)):
			ts := all[name]
			ts.Output = bytes.TrimSuffix(line[len(`    "output": `):], []byte(","))
			all[name] = ts
		}
	}
	for name, ts := range all {
		if name == "" || !json.Valid(ts.Input) || !json.Valid(ts.Output) {
			return nil, fmt.Errorf("tools/schemas.json: %q is not laid out as go generate ./tools writes it", name)
		}
	}
	return all, nil
})

// schemasOf returns a tool's generated schemas.
func schemasOf(name string) (toolSchemas, error) {
	all, err := generatedSchemas()
	if err != nil {
		return toolSchemas{}, err
	}
	ts, ok := all[name]
	if !ok || ts.Input == nil || ts.Output == nil {
		return toolSchemas{}, fmt.Errorf("tools/schemas.json has no schemas for %s: run go generate ./tools", name)
	}
	return ts, nil
}

// reflector receives, for the generator, how each tool's schemas are
// inferred from its Go types.
type reflector func(name string, reflect func() (in, out *jsonschema.Schema, err error))

// toolSet is what the tools are registered with: the server, the tools'
// dependencies, and the tools whose listing gets the generated schemas.
type toolSet struct {
	s       *mcp.Server
	d       *Deps
	reflect reflector // nil except for the generator

	ours   map[*mcp.Tool]string // the registered tools, by their names
	mu     sync.Mutex
	listed map[*mcp.Tool]*mcp.Tool // the copies tools/list hands out
}

// listWithSchemas is a receiving middleware: the tools/list result gets
// each of mcpmend's tools with its generated schemas (a bridged tool
// passes unchanged).
func (ts *toolSet) listWithSchemas(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		res, err := next(ctx, method, req)
		if lr, ok := res.(*mcp.ListToolsResult); ok && err == nil && method == "tools/list" {
			for i, t := range lr.Tools {
				if lr.Tools[i], err = ts.listed1(t); err != nil {
					return nil, err
				}
			}
		}
		return res, err
	}
}

// listed1 is the tool a client reads in place of the registered t.
func (ts *toolSet) listed1(t *mcp.Tool) (*mcp.Tool, error) {
	name, ok := ts.ours[t]
	if !ok {
		return t, nil
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if l := ts.listed[t]; l != nil {
		return l, nil
	}
	sc, err := schemasOf(name)
	if err != nil {
		return nil, err
	}
	l := *t
	l.InputSchema, l.OutputSchema = sc.Input, sc.Output
	if ts.listed == nil {
		ts.listed = map[*mcp.Tool]*mcp.Tool{}
	}
	ts.listed[t] = &l
	return &l, nil
}

// resolved are a tool's schemas ready to validate with.
type resolved struct{ in, out *jsonschema.Resolved }

// resolveGenerated resolves a tool's generated schemas.
func resolveGenerated(name string) (resolved, error) {
	sc, err := schemasOf(name)
	if err != nil {
		return resolved{}, err
	}
	in, err := resolveRaw(sc.Input)
	if err != nil {
		return resolved{}, fmt.Errorf("input schema of %s: %w", name, err)
	}
	out, err := resolveRaw(sc.Output)
	if err != nil {
		return resolved{}, fmt.Errorf("output schema of %s: %w", name, err)
	}
	return resolved{in, out}, nil
}

func resolveRaw(raw json.RawMessage) (*jsonschema.Resolved, error) {
	var s jsonschema.Schema
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, err
	}
	return s.Resolve(nil)
}

// addTool registers a typed tool like mcp.AddTool, with three differences.
// Its schemas are the generated ones (see above): input builds its input
// schema from In for the generator (nil: inputSchema[In] without extra
// docs); the output schema is Out's. The structured result is sent in the
// struct's field order: go-sdk v1.8.0 validates an object result by
// unmarshalling it into a map and marshalling that again, which sorts the
// keys alphabetically, and Claude Code hands the model the serialized
// structuredContent, so status, verdict and next would come last. Here the
// result is marshalled once, validated against the output schema from a
// copy, and sent as those bytes. Arguments are validated against the input
// schema as go-sdk does.
func addTool[In, Out any](ts *toolSet, t *mcp.Tool, input func() *jsonschema.Schema, h func(context.Context, *mcp.CallToolRequest, In) (*mcp.CallToolResult, *Out, error)) {
	if input == nil {
		input = func() *jsonschema.Schema { return inputSchema[In](nil) }
	}
	if ts.reflect != nil {
		ts.reflect(t.Name, func() (*jsonschema.Schema, *jsonschema.Schema, error) {
			out, err := jsonschema.For[Out](nil)
			return input(), out, err
		})
	}
	tt := *t
	// Placeholders: tools/list sends the generated schemas. The SDK
	// marshals the input schema once here (for x-mcp-header annotations):
	// raw bytes spare a fresh process building encoding/json's encoder for
	// jsonschema.Schema. It only checks the output schema's pointer.
	tt.InputSchema = json.RawMessage(`{"type":"object"}`)
	tt.OutputSchema = &jsonschema.Schema{}
	if ts.ours == nil {
		ts.ours = map[*mcp.Tool]string{}
	}
	ts.ours[&tt] = t.Name
	schemas := sync.OnceValues(func() (resolved, error) { return resolveGenerated(t.Name) })
	ts.s.AddTool(&tt, func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		sc, err := schemas()
		if err != nil {
			return nil, err
		}
		var args In
		if err := decodeArgs(req.Params.Arguments, sc.in, &args); err != nil {
			return errResult(fmt.Errorf("invalid arguments for %s: %w", t.Name, err)), nil
		}
		res, o, err := h(ctx, req, args)
		if err != nil {
			return errResult(err), nil
		}
		if o == nil {
			return res, nil
		}
		raw, err := orderedJSON(o, sc.out)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t.Name, err)
		}
		res.StructuredContent = raw
		return res, nil
	})
}

// plainInput is the input schema mcp.AddTool infers from In, without the
// enums and descriptions inputSchema adds.
func plainInput[In any]() *jsonschema.Schema {
	s, err := jsonschema.For[In](nil)
	if err != nil {
		panic(fmt.Sprintf("input schema of %T: %v", *new(In), err))
	}
	return s
}
