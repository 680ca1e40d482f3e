package tools

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// addTool registers a typed tool like mcp.AddTool, but sends the structured
// result in the struct's field order. go-sdk v1.8.0 validates an object
// result by unmarshalling it into a map and marshalling that again, which
// sorts the keys alphabetically; Claude Code hands the model the serialized
// structuredContent, so status, verdict and next would come last. Here the
// result is marshalled once, validated against the output schema from a
// copy, and sent as those bytes. Arguments are validated against the input
// schema as go-sdk does.
func addTool[In, Out any](s *mcp.Server, t *mcp.Tool, h func(context.Context, *mcp.CallToolRequest, In) (*mcp.CallToolResult, *Out, error)) {
	tt := *t
	in, ok := tt.InputSchema.(*jsonschema.Schema)
	if !ok || in == nil {
		in = inputSchema[In](nil)
		tt.InputSchema = in
	}
	out, err := jsonschema.For[Out](nil)
	if err != nil {
		panic(fmt.Sprintf("output schema of %s: %v", t.Name, err))
	}
	tt.OutputSchema = out
	inRes, err := in.Resolve(nil)
	if err != nil {
		panic(fmt.Sprintf("input schema of %s: %v", t.Name, err))
	}
	outRes, err := out.Resolve(nil)
	if err != nil {
		panic(fmt.Sprintf("output schema of %s: %v", t.Name, err))
	}
	s.AddTool(&tt, func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		var args In
		if err := decodeArgs(req.Params.Arguments, inRes, &args); err != nil {
			return errResult(fmt.Errorf("invalid arguments for %s: %w", t.Name, err)), nil
		}
		res, o, err := h(ctx, req, args)
		if err != nil {
			return errResult(err), nil
		}
		if o == nil {
			return res, nil
		}
		raw, err := orderedJSON(o, outRes)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t.Name, err)
		}
		res.StructuredContent = raw
		return res, nil
	})
}

// decodeArgs validates raw arguments against the input schema, then decodes
// them.
func decodeArgs(raw json.RawMessage, res *jsonschema.Resolved, into any) error {
	v := map[string]any{}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &v); err != nil {
			return err
		}
	}
	if err := res.Validate(v); err != nil {
		return err
	}
	if len(raw) == 0 {
		return nil
	}
	return json.Unmarshal(raw, into)
}

// orderedJSON marshals v in field order and checks it against its schema.
func orderedJSON(v any, res *jsonschema.Resolved) (json.RawMessage, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("marshalling the result: %w", err)
	}
	var copy any
	if err := json.Unmarshal(raw, &copy); err != nil {
		return nil, err
	}
	if err := res.Validate(copy); err != nil {
		return nil, fmt.Errorf("the result does not match its output schema: %w", err)
	}
	return raw, nil
}

func errResult(err error) *mcp.CallToolResult {
	r := &mcp.CallToolResult{}
	r.SetError(err)
	return r
}
