package installer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/mcpmend/mcpmend/internal/lazyre"

	"github.com/BurntSushi/toml"
)

// Codex keeps its servers as TOML tables, [mcp_servers.NAME], in a file
// people annotate by hand. The edits here work on lines: a table is added
// at the end of the file and removed as the block of lines from its header
// up to the next table header (comment lines right before that header stay:
// they belong to it). Every edit is checked by decoding the file before and
// after with BurntSushi/toml: the result must be the old document with just
// that table set or removed, or the edit is refused and nothing is written.

// tomlGet returns the entry container.name as compact JSON, or ok=false.
func tomlGet(doc []byte, container, name string) (json.RawMessage, bool, error) {
	m, err := decodeTOML(doc)
	if err != nil {
		return nil, false, err
	}
	c, _ := m[container].(map[string]any)
	v, ok := c[name]
	if !ok {
		return nil, false, nil
	}
	raw, err := json.Marshal(v)
	return raw, true, err
}

// tomlSet replaces (or adds) the table container.name with the entry raw,
// which must be an object of strings and arrays of strings.
func tomlSet(doc []byte, container, name string, raw json.RawMessage) ([]byte, error) {
	body, err := tomlTable(container, name, raw)
	if err != nil {
		return nil, err
	}
	out, err := tomlCut(doc, container, name)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(out)) > 0 {
		if !bytes.HasSuffix(out, []byte("\n")) {
			out = append(out, '\n')
		}
		out = append(out, '\n')
	} else {
		out = nil
	}
	out = append(out, body...)
	return tomlChecked(doc, out, container, name, raw)
}

// tomlDelete removes the table container.name (and its sub-tables).
func tomlDelete(doc []byte, container, name string) ([]byte, error) {
	out, err := tomlCut(doc, container, name)
	if err != nil {
		return nil, err
	}
	if bytes.Equal(out, doc) {
		if _, ok, err := tomlGet(doc, container, name); err != nil || ok {
			if err == nil {
				err = fmt.Errorf("[%s.%s] is written in another form (inline or dotted keys); nothing was changed — remove it by hand", container, name)
			}
			return nil, err
		}
		return doc, nil
	}
	return tomlChecked(doc, out, container, name, nil)
}

// tomlTable renders [container.name] with the entry's keys in a stable order
// (command, args, then the rest sorted).
func tomlTable(container, name string, raw json.RawMessage) ([]byte, error) {
	var entry map[string]any
	if err := json.Unmarshal(raw, &entry); err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(entry))
	for k := range entry {
		keys = append(keys, k)
	}
	order := map[string]int{"command": 0, "args": 1}
	sort.Slice(keys, func(i, j int) bool {
		oi, iok := order[keys[i]]
		oj, jok := order[keys[j]]
		if iok != jok {
			return iok
		}
		if iok {
			return oi < oj
		}
		return keys[i] < keys[j]
	})
	var b strings.Builder
	fmt.Fprintf(&b, "[%s.%s]\n", tomlKey(container), tomlKey(name))
	for _, k := range keys {
		v, err := tomlValue(entry[k])
		if err != nil {
			return nil, fmt.Errorf("%s.%s.%s: %w", container, name, k, err)
		}
		fmt.Fprintf(&b, "%s = %s\n", tomlKey(k), v)
	}
	return []byte(b.String()), nil
}

var bareKey = lazyre.New(`^[A-Za-z0-9_-]+$`)

func tomlKey(k string) string {
	if bareKey.MatchString(k) {
		return k
	}
	return tomlString(k)
}

// tomlString is a TOML basic string: JSON's escapes are all valid TOML.
func tomlString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

func tomlValue(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return tomlString(x), nil
	case bool:
		return fmt.Sprint(x), nil
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			s, err := tomlValue(e)
			if err != nil {
				return "", err
			}
			parts[i] = s
		}
		return "[" + strings.Join(parts, ", ") + "]", nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			s, err := tomlValue(x[k])
			if err != nil {
				return "", err
			}
			parts[i] = tomlKey(k) + " = " + s
		}
		return "{ " + strings.Join(parts, ", ") + " }", nil
	}
	return "", fmt.Errorf("cannot write %T as TOML", v)
}

// header matches a table header line; group 1 is the key path inside the
// brackets ([[array]] headers match too, with group 1 starting with "[").
var header = lazyre.New(`^\s*\[(.*)\]\s*(#.*)?$`)

// tomlCut removes the lines of [container.name] and its sub-tables. Lines
// inside multi-line strings are never taken for headers.
func tomlCut(doc []byte, container, name string) ([]byte, error) {
	lines := bytes.SplitAfter(doc, []byte("\n"))
	start, end := -1, len(lines)
	inString := ""
	for i, ln := range lines {
		wasIn := inString != ""
		inString = multilineState(string(ln), inString)
		if wasIn {
			continue
		}
		m := header.FindSubmatch(bytes.TrimRight(ln, "\r\n"))
		if m == nil {
			continue
		}
		ours := isOurTable(string(m[1]), container, name)
		switch {
		case start < 0 && ours:
			start = i
		case start >= 0 && !ours:
			end = i
		}
		if end < len(lines) {
			break
		}
	}
	if start < 0 {
		return doc, nil
	}
	// Leave the comments and blank lines that lead into the next table.
	for end > start+1 && isCommentOrBlank(lines[end-1]) {
		end--
	}
	// Take one blank line before our header with it (the one tomlSet adds).
	if start > 0 && len(bytes.TrimSpace(lines[start-1])) == 0 {
		start--
	}
	var out []byte
	for i, ln := range lines {
		if i < start || i >= end {
			out = append(out, ln...)
		}
	}
	return out, nil
}

func isCommentOrBlank(ln []byte) bool {
	t := bytes.TrimSpace(ln)
	return len(t) == 0 || t[0] == '#'
}

// isOurTable reports whether a header's key path is container.name or below
// it, in any quoting: mcp_servers.mcpmend, "mcp_servers".'mcpmend'.env, …
func isOurTable(path, container, name string) bool {
	keys, ok := splitKeyPath(path)
	return ok && len(keys) >= 2 && keys[0] == container && keys[1] == name
}

// splitKeyPath splits a dotted TOML key (bare, "basic" or 'literal' parts).
func splitKeyPath(p string) ([]string, bool) {
	var keys []string
	p = strings.TrimSpace(p)
	for p != "" {
		var k string
		switch p[0] {
		case '"':
			j := 1
			for j < len(p) && p[j] != '"' {
				if p[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(p) || json.Unmarshal([]byte(p[:j+1]), &k) != nil {
				return nil, false
			}
			p = p[j+1:]
		case '\'':
			end := strings.IndexByte(p[1:], '\'')
			if end < 0 {
				return nil, false
			}
			k, p = p[1:end+1], p[end+2:]
		default:
			end := strings.IndexAny(p, ". \t")
			if end < 0 {
				end = len(p)
			}
			k, p = p[:end], p[end:]
		}
		keys = append(keys, k)
		p = strings.TrimSpace(p)
		if p != "" {
			if p[0] != '.' {
				return nil, false
			}
			p = strings.TrimSpace(p[1:])
		}
	}
	return keys, true
}

// multilineState follows """ and ”' strings across lines: it returns the
// delimiter still open after line ln ("" when none).
func multilineState(ln, open string) string {
	for {
		if open != "" {
			i := strings.Index(ln, open)
			if i < 0 {
				return open
			}
			ln, open = ln[i+3:], ""
			continue
		}
		i := strings.IndexAny(ln, `"'#`)
		if i < 0 {
			return ""
		}
		switch {
		case ln[i] == '#':
			return ""
		case strings.HasPrefix(ln[i:], `"""`), strings.HasPrefix(ln[i:], `'''`):
			open, ln = ln[i:i+3], ln[i+3:]
		default: // a one-line string: skip it
			q := ln[i]
			j := i + 1
			for j < len(ln) && ln[j] != q {
				if q == '"' && ln[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(ln) {
				return ""
			}
			ln = ln[j+1:]
		}
	}
}

func decodeTOML(doc []byte) (map[string]any, error) {
	m := map[string]any{}
	if _, err := toml.Decode(string(doc), &m); err != nil {
		return nil, err
	}
	return m, nil
}

// tomlChecked returns out only when it decodes to old with container.name
// set to raw (nil: removed) and nothing else changed.
func tomlChecked(old, out []byte, container, name string, raw json.RawMessage) ([]byte, error) {
	want, err := decodeTOML(old)
	if err != nil {
		return nil, err
	}
	c, _ := want[container].(map[string]any)
	if c == nil {
		c = map[string]any{}
	}
	if raw == nil {
		delete(c, name)
	} else {
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, err
		}
		c[name] = v
	}
	want[container] = c
	got, err := decodeTOML(out)
	if err != nil {
		return nil, fmt.Errorf("the edited file does not parse as TOML (%v); nothing was changed", err)
	}
	if !sameJSON(got, want) {
		return nil, errors.New("the edited file does not hold exactly the intended change (is the table written in another form, e.g. inline or with dotted keys?); nothing was changed — edit it by hand")
	}
	return out, nil
}

// sameJSON compares two decoded documents through JSON (TOML and JSON decode
// numbers and arrays into different Go types), treating an empty container
// table like an absent one.
func sameJSON(a, b map[string]any) bool {
	norm := func(m map[string]any) any {
		for k, v := range m {
			if t, ok := v.(map[string]any); ok && len(t) == 0 {
				delete(m, k)
			}
		}
		raw, _ := json.Marshal(m)
		var v any
		_ = json.Unmarshal(raw, &v)
		return v
	}
	return reflect.DeepEqual(norm(a), norm(b))
}
