package installer

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/tidwall/gjson"

	"github.com/mcpmend/mcpmend/internal/jsonedit"
	"github.com/mcpmend/mcpmend/registry"
)

// Name is the entry name install writes in every client.
const Name = "mcpmend"

// EntryFor is the entry install writes for client: command and ["serve"],
// in the shape that client's own tools write (Claude Code's `claude mcp add`
// adds type and env; VS Code wants type; Zed marks custom servers).
func EntryFor(client, command string) json.RawMessage {
	type entry struct {
		Source  string             `json:"source,omitempty"`
		Type    string             `json:"type,omitempty"`
		Command string             `json:"command"`
		Args    []string           `json:"args"`
		Env     *map[string]string `json:"env,omitempty"`
	}
	e := entry{Command: command, Args: []string{"serve"}}
	switch client {
	case registry.ClaudeCode:
		e.Type, e.Env = "stdio", &map[string]string{}
	case registry.VSCode:
		e.Type = "stdio"
	case registry.Zed:
		e.Source, e.Env = "custom", &map[string]string{}
	}
	raw, _ := json.Marshal(e)
	return raw
}

// sameEntry reports whether an existing entry runs what want runs: equal
// after dropping what only spells a default (type "stdio", an empty env,
// Zed's source "custom"), so an entry added by `claude mcp add` counts.
func sameEntry(have, want json.RawMessage) bool {
	a, b := normalized(have), normalized(want)
	return a != nil && reflect.DeepEqual(a, b)
}

func normalized(raw json.RawMessage) map[string]any {
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil || m == nil {
		return nil
	}
	if m["type"] == "stdio" {
		delete(m, "type")
	}
	if m["source"] == "custom" {
		delete(m, "source")
	}
	if env, ok := m["env"].(map[string]any); ok && len(env) == 0 {
		delete(m, "env")
	}
	return m
}

// describeEntry names what an entry runs without its env or header values
// (an entry someone else wrote may hold secrets there).
func describeEntry(raw json.RawMessage) string {
	var e struct {
		Command string   `json:"command"`
		Args    []string `json:"args"`
		URL     string   `json:"url"`
	}
	_ = json.Unmarshal(raw, &e)
	switch {
	case e.Command != "":
		return fmt.Sprintf("command %q with %d argument(s)", e.Command, len(e.Args))
	case e.URL != "":
		return "a remote server (url)"
	}
	return "an entry without a command"
}

// canonicalHash is the sha256 of raw's canonical JSON (keys sorted, no
// space), "" for an absent entry: what plan and apply compare.
func canonicalHash(raw json.RawMessage, ok bool) string {
	if !ok {
		return ""
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return "unparsable:" + hex.EncodeToString(sum(raw))
	}
	c, _ := json.Marshal(v)
	return hex.EncodeToString(sum(c))
}

func sum(b []byte) []byte { h := sha256.Sum256(b); return h[:] }

// emptyDoc is what a config file that does not exist yet starts from.
func emptyDoc(format string) []byte {
	switch format {
	case registry.FormatTOML:
		return nil
	case registry.FormatClaudeJSON:
		return []byte("{}")
	}
	return []byte("{}\n")
}

// getEntry reads container.name from a config file's bytes.
func getEntry(format string, data []byte, container, name string) (json.RawMessage, bool, error) {
	switch format {
	case registry.FormatTOML:
		return tomlGet(data, container, name)
	case registry.FormatClaudeJSON:
		if !gjson.ValidBytes(data) || !gjson.ParseBytes(data).IsObject() {
			return nil, false, fmt.Errorf("not a JSON object")
		}
		raw, ok, err := jsonedit.Get(data, jsonedit.Path{container, name})
		return raw, ok, err
	}
	raw, ok, err := jsonedit.GetMember(data, container, name)
	return raw, ok, err
}

// setEntry writes container.name = raw (nil raw: removes it), changing only
// the entry's bytes; ~/.claude.json keeps Node's layout as Claude Code does.
func setEntry(format string, data []byte, container, name string, raw json.RawMessage) ([]byte, error) {
	switch format {
	case registry.FormatTOML:
		if raw == nil {
			return tomlDelete(data, container, name)
		}
		return tomlSet(data, container, name, raw)
	case registry.FormatClaudeJSON:
		p := jsonedit.Path{container, name}
		var out []byte
		var err error
		if raw == nil {
			out, err = jsonedit.Delete(data, p)
		} else {
			out, err = jsonedit.SetRaw(data, p, raw)
		}
		if err != nil || bytes.Equal(out, data) {
			return out, err
		}
		return jsonedit.Format(data, out, jsonedit.Node), nil
	}
	if raw == nil {
		return jsonedit.DeleteMember(data, container, name)
	}
	return jsonedit.SetMember(data, container, name, raw)
}
