// Package jsonedit changes single values inside a JSON document without
// touching any other byte: keys are addressed by exact path (every segment
// escaped, so a server named "a.b*" can never address another key), edits are
// made with sjson, and the result is re-formatted only where the file's own
// style asks for it (Node's JSON.stringify(…, null, 2) for Claude Code's
// ~/.claude.json, compact for its .credentials.json).
package jsonedit

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
	"github.com/tidwall/pretty"
	"github.com/tidwall/sjson"
)

// Path addresses a value by object keys, outermost first, e.g.
// {"mcpOAuth", "github|78d8e2894fc42213"}. Keys are taken literally.
type Path []string

// getPath is the gjson path: every key escaped.
func (p Path) getPath() (string, error) {
	if len(p) == 0 {
		return "", errors.New("empty JSON path")
	}
	parts := make([]string, len(p))
	for i, k := range p {
		if k == "" {
			return "", fmt.Errorf("JSON path %s has an empty key", p)
		}
		parts[i] = gjson.Escape(k)
	}
	return strings.Join(parts, "."), nil
}

// setPath is the sjson path: an all-digit key gets sjson's ":" prefix (else
// sjson creates an array and pads it with nulls), and a key that starts with
// ":" has it escaped (else sjson reads it as that prefix and edits the key
// without the colon).
func (p Path) setPath() (string, error) {
	if _, err := p.getPath(); err != nil {
		return "", err
	}
	parts := make([]string, len(p))
	for i, k := range p {
		switch {
		case isDigits(k):
			parts[i] = ":" + k
		case strings.HasPrefix(k, ":"):
			parts[i] = `\` + gjson.Escape(k)
		default:
			parts[i] = gjson.Escape(k)
		}
	}
	return strings.Join(parts, "."), nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// String renders the path for people: mcpOAuth["github|78d8e2894fc42213"].
func (p Path) String() string {
	var b strings.Builder
	for i, k := range p {
		if i == 0 && isIdent(k) {
			b.WriteString(k)
			continue
		}
		if isIdent(k) {
			b.WriteString("." + k)
			continue
		}
		b.WriteString("[" + strconv.Quote(k) + "]")
	}
	return b.String()
}

func isIdent(s string) bool {
	if s == "" || isDigits(s[:1]) {
		return false
	}
	for _, c := range s {
		if !(c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// Get returns the raw bytes of the value at p, exactly as they appear in doc.
func Get(doc []byte, p Path) (raw []byte, ok bool, err error) {
	if _, err := p.getPath(); err != nil {
		return nil, false, err
	}
	// Walk key by key so a non-object parent is "absent", never a match
	// against an array index or a gjson modifier.
	cur := gjson.ParseBytes(doc)
	for _, k := range p {
		if !cur.IsObject() {
			return nil, false, nil
		}
		if cur = cur.Get(gjson.Escape(k)); !cur.Exists() {
			return nil, false, nil
		}
	}
	return []byte(cur.Raw), true, nil
}

// Delete removes the key at p. Removing an absent key is a no-op.
func Delete(doc []byte, p Path) ([]byte, error) {
	if _, ok, err := Get(doc, p); err != nil || !ok {
		return doc, err
	}
	sp, _ := p.setPath()
	out, err := sjson.DeleteBytes(doc, sp)
	if err != nil {
		return nil, fmt.Errorf("delete %s: %w", p, err)
	}
	return out, nil
}

// SetRaw puts raw (one JSON value) at p, creating parent objects as needed.
// An existing value is replaced in place; a new key goes last in its object.
func SetRaw(doc []byte, p Path, raw []byte) ([]byte, error) {
	if !gjson.ValidBytes(raw) {
		return nil, fmt.Errorf("set %s: value is not valid JSON", p)
	}
	for i := 1; i < len(p); i++ {
		v, ok, _ := Get(doc, p[:i])
		if ok && !gjson.ParseBytes(v).IsObject() {
			return nil, fmt.Errorf("set %s: %s is not an object", p, p[:i])
		}
	}
	sp, err := p.setPath()
	if err != nil {
		return nil, err
	}
	out, err := sjson.SetRawBytes(doc, sp, raw)
	if err != nil {
		return nil, fmt.Errorf("set %s: %w", p, err)
	}
	return out, nil
}

// Style is how a document is laid out, and so how it is re-formatted after
// an edit.
type Style int

const (
	// Auto keeps Node's 2-space layout when the original is exactly in it
	// and otherwise leaves sjson's minimal edit alone (a hand-formatted file
	// is never re-indented).
	Auto Style = iota
	// Node is JSON.stringify(value, null, 2): what Claude Code writes to
	// ~/.claude.json and .mcp.json.
	Node
	// Compact is JSON.stringify(value): .credentials.json and the
	// needs-auth cache.
	Compact
	// Keep never re-formats: only the edited bytes change.
	Keep
)

var nodeOpts = &pretty.Options{Width: -1, Indent: "  "}

// nodeLayout formats doc as Node's 2-space JSON.stringify, keeping whether
// the original ended in a newline (Node writes none; an editor may add one).
func nodeLayout(doc []byte, trailingNewline bool) []byte {
	out := bytes.TrimSuffix(pretty.PrettyOptions(doc, nodeOpts), []byte("\n"))
	if trailingNewline {
		out = append(out, '\n')
	}
	return out
}

// IsNode reports whether doc is laid out exactly as Node's 2-space
// JSON.stringify would lay it out.
func IsNode(doc []byte) bool {
	return bytes.Equal(nodeLayout(doc, bytes.HasSuffix(doc, []byte("\n"))), doc)
}

// Format lays out edited in the style orig was in. For Node and Compact the
// result equals what JSON.stringify would write for the edited value,
// provided orig was itself written by JSON.stringify.
func Format(orig, edited []byte, style Style) []byte {
	nl := bytes.HasSuffix(orig, []byte("\n"))
	switch style {
	case Auto:
		if IsNode(orig) {
			return nodeLayout(edited, nl)
		}
		return edited
	case Node:
		return nodeLayout(edited, nl)
	case Compact:
		out := pretty.Ugly(edited)
		if nl {
			out = append(out, '\n')
		}
		return out
	}
	return edited
}
