package registry

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/mcpmend/mcpmend/internal/lazyre"

	"github.com/BurntSushi/toml"
)

// tomlDoc is a decoded TOML file with the order its keys were written in,
// which a map loses and which env and header lists must keep.
type tomlDoc struct {
	root  map[string]any
	order map[string][]string // joined parent key → child names in file order
}

// readTOML reads a TOML config file. Like readJSON, a missing or empty file
// returns ok=false and no problem; an unreadable or malformed one returns a
// Problem naming the file and, for syntax errors, the line and column.
func readTOML(client, path string) (doc tomlDoc, prob *Problem, ok bool) {
	data, err := readBounded(path, maxConfigSize)
	if errors.Is(err, fs.ErrNotExist) {
		return doc, nil, false
	}
	if err != nil {
		return doc, &Problem{Client: client, File: path, Message: "cannot read: " + errText(err)}, false
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if len(bytes.TrimSpace(data)) == 0 {
		return doc, nil, false
	}
	if line, deep := tomlTooDeep(data); deep {
		return doc, &Problem{Client: client, File: path, Line: line, Message: fmt.Sprintf("invalid TOML: arrays or inline tables nested more than %d levels deep", maxTOMLDepth)}, false
	}
	md, err := toml.Decode(string(data), &doc.root)
	if err != nil {
		p := &Problem{Client: client, File: path, Message: "invalid TOML: " + tomlQuoted.ReplaceAllString(err.Error(), "(value hidden)")}
		var pe toml.ParseError
		if errors.As(err, &pe) {
			p.Line, p.Column = tomlPosition(data, pe.Position)
			p.Message = "invalid TOML: " + tomlQuoted.ReplaceAllString(pe.Message, "(value hidden)")
		}
		return doc, p, false
	}
	doc.order = map[string][]string{}
	seen := map[string]bool{}
	for _, k := range md.Keys() {
		// Record every prefix: dotted keys (a.b.c = 1) define their parents
		// without listing them as keys of their own.
		for i := 1; i <= len(k); i++ {
			full := strings.Join(k[:i], "\x00")
			if seen[full] {
				continue
			}
			seen[full] = true
			parent := strings.Join(k[:i-1], "\x00")
			doc.order[parent] = append(doc.order[parent], k[i-1])
		}
	}
	return doc, nil, true
}

// tomlQuoted matches the text the TOML parser quotes back from the file
// (`expected value but found "…" instead`): it may be an unquoted secret, so
// messages show the position only.
var tomlQuoted = lazyre.New(`"(?:[^"\\]|\\.)*"`)

// tomlPosition turns the parser's position into a 1-based line and column.
// The byte offset is preferred: the parser's own line is one too far when the
// error is the newline that ends a line.
func tomlPosition(data []byte, pos toml.Position) (line, col int) {
	if pos.Start <= 0 || pos.Start > len(data) {
		return pos.Line, pos.Col
	}
	before := data[:pos.Start]
	line = bytes.Count(before, []byte("\n")) + 1
	col = pos.Start - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}

// keys returns a table's keys in file order; any the order misses (there
// should be none) follow, sorted.
func (d tomlDoc) keys(m map[string]any, path []string) []string {
	var out []string
	listed := map[string]bool{}
	for _, k := range d.order[strings.Join(path, "\x00")] {
		if _, ok := m[k]; ok && !listed[k] {
			out = append(out, k)
			listed[k] = true
		}
	}
	var rest []string
	for k := range m {
		if !listed[k] {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	return append(out, rest...)
}

// json encodes the value at path as JSON, tables' keys in file order.
func (d tomlDoc) json(v any, path []string) string {
	var b strings.Builder
	switch t := v.(type) {
	case map[string]any:
		b.WriteByte('{')
		for i, k := range d.keys(t, path) {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(jsonString(k) + ":" + d.json(t[k], append(path[:len(path):len(path)], k)))
		}
		b.WriteByte('}')
	case []map[string]any: // arrays of tables
		b.WriteByte('[')
		for i, e := range t {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(d.json(e, path))
		}
		b.WriteByte(']')
	case string:
		return jsonString(t)
	case []any:
		b.WriteByte('[')
		for i, e := range t {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(d.json(e, path))
		}
		b.WriteByte(']')
	default:
		out, err := json.Marshal(t)
		if err != nil { // NaN and ±Inf have no JSON form
			return jsonString(fmt.Sprint(t))
		}
		b.Write(out)
	}
	return b.String()
}

// jsonString encodes s as a JSON string without HTML escaping, so URLs read
// back exactly as written.
func jsonString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

// maxTOMLDepth bounds the nesting of arrays and inline tables: the TOML
// parser recurses on them, and a file of "[[[[…" overflowed the stack.
// Real configurations nest two or three levels.
const maxTOMLDepth = 200

// tomlTooDeep reports whether data nests '[' or '{' more than maxTOMLDepth
// deep outside strings and comments, and on which line. It over-counts
// nothing a real file holds: table headers ([a], [[a]]) close on their line.
func tomlTooDeep(data []byte) (line int, deep bool) {
	depth, line := 0, 1
	for i := 0; i < len(data); i++ {
		switch c := data[i]; c {
		case '\n':
			line++
		case '#':
			for i < len(data) && data[i] != '\n' {
				i++
			}
			i--
		case '"', '\'':
			i = tomlStringEnd(data, i)
		case '[', '{':
			if depth++; depth > maxTOMLDepth {
				return line, true
			}
		case ']', '}':
			depth = max(depth-1, 0)
		}
	}
	return 0, false
}

// tomlStringEnd returns the index of the last byte of the string opening at
// i: basic ("…", with escapes), literal ('…'), or multi-line ("""…""",
// ”'…”'). An unterminated string runs to the end.
func tomlStringEnd(data []byte, i int) int {
	q := data[i]
	delim := []byte{q}
	if i+2 < len(data) && data[i+1] == q && data[i+2] == q {
		delim = []byte{q, q, q}
	}
	for j := i + len(delim); j < len(data); j++ {
		if q == '"' && data[j] == '\\' {
			j++
			continue
		}
		if len(delim) == 1 && data[j] == '\n' {
			return j - 1 // single-line strings end at the line; let the parser judge
		}
		if bytes.HasPrefix(data[j:], delim) {
			return j + len(delim) - 1
		}
	}
	return len(data) - 1
}
