package registry

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"sort"
	"strings"

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
	data, err := os.ReadFile(path)
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
var tomlQuoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

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
