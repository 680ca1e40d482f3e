package tools

import (
	"encoding/json"
	"fmt"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

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
