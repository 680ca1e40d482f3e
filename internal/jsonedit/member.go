package jsonedit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/tidwall/gjson"
	"github.com/tidwall/pretty"
)

// This file edits one member of a top-level object ("mcpServers": {"name":
// …}) at the text level, for files people write by hand and may fill with
// comments and trailing commas (VS Code, Zed, Gemini CLI) or format their own
// way (Cursor, Claude Desktop, Windsurf). Comments, indentation and every
// byte outside the touched member stay as they were; the new member takes
// the indentation of its neighbours. Every edit is checked by parsing the
// result: it must equal the old document with exactly that one member set or
// removed, or nothing is returned.

// member is one "key": value pair of an object, as offsets into the document.
type member struct {
	key              string
	keyStart         int // the opening quote of the key
	valStart, valEnd int // the value, [valStart, valEnd)
	open, close      int // for an object value: its braces
	isObject         bool
}

// object is an object's braces and members.
type object struct {
	open, close int
	members     []member
}

// GetMember returns container.name's raw value (comments blanked) from a
// JSON or JSONC document whose top level is an object.
func GetMember(doc []byte, container, name string) (raw []byte, ok bool, err error) {
	clean, top, err := parseTop(doc)
	if err != nil {
		return nil, false, err
	}
	c, ok := top.find(container)
	if !ok {
		return nil, false, nil
	}
	if !c.isObject {
		return nil, false, fmt.Errorf("%q is not an object", container)
	}
	inner, err := scanObject(clean, c.open)
	if err != nil {
		return nil, false, err
	}
	m, ok := inner.find(name)
	if !ok {
		return nil, false, nil
	}
	return bytes.TrimSpace(clean[m.valStart:m.valEnd]), true, nil
}

// SetMember sets container.name to raw (one JSON value) in a JSON or JSONC
// document, creating container when absent. An existing value is replaced
// where it stands; a new member goes last, indented like its neighbours.
func SetMember(doc []byte, container, name string, raw []byte) ([]byte, error) {
	if !json.Valid(raw) {
		return nil, fmt.Errorf("set %s.%s: value is not valid JSON", container, name)
	}
	clean, top, err := parseTop(doc)
	if err != nil {
		return nil, err
	}
	unit := indentUnit(doc, top)
	var out []byte
	c, ok := top.find(container)
	switch {
	case !ok:
		inner := fmt.Sprintf("{%s: %s}", quote(name), raw)
		out = insertMember(doc, clean, top, quote(container), []byte(inner), unit)
	case !c.isObject:
		return nil, fmt.Errorf("%q is %s, not an object; nothing was changed", container, kindOfRaw(clean[c.valStart:c.valEnd]))
	default:
		inner, err := scanObject(clean, c.open)
		if err != nil {
			return nil, err
		}
		if m, ok := inner.find(name); ok {
			prefix := lineIndent(doc, m.keyStart)
			val := render(raw, prefix, unit)
			out = splice(doc, m.valStart, m.valEnd, val)
		} else {
			out = insertMember(doc, clean, inner, quote(name), raw, unit)
		}
	}
	return checked(doc, out, container, name, raw)
}

// DeleteMember removes container.name from a JSON or JSONC document,
// together with its line when it stands alone there and the comma that
// separated it. A missing member leaves doc as it is.
func DeleteMember(doc []byte, container, name string) ([]byte, error) {
	clean, top, err := parseTop(doc)
	if err != nil {
		return nil, err
	}
	c, ok := top.find(container)
	if !ok || !c.isObject {
		return doc, nil
	}
	inner, err := scanObject(clean, c.open)
	if err != nil {
		return nil, err
	}
	i, ok := inner.index(name)
	if !ok {
		return doc, nil
	}
	out := removeMember(doc, clean, inner, i)
	return checked(doc, out, container, name, nil)
}

// parseTop strips comments and scans the top-level object.
func parseTop(doc []byte) (clean []byte, top object, err error) {
	clean = StripComments(doc)
	body := bytes.TrimPrefix(clean, utf8BOM)
	if !gjson.ValidBytes(body) || !gjson.ParseBytes(body).IsObject() {
		return nil, object{}, errors.New("not a JSON object (after removing comments and trailing commas)")
	}
	open := bytes.IndexByte(clean, '{')
	top, err = scanObject(clean, open)
	return clean, top, err
}

var utf8BOM = []byte("\xef\xbb\xbf")

func (o object) index(key string) (int, bool) {
	found := -1
	for i, m := range o.members {
		if m.key == key {
			found = i // the last duplicate is the one parsers keep
		}
	}
	return found, found >= 0
}

func (o object) find(key string) (member, bool) {
	i, ok := o.index(key)
	if !ok {
		return member{}, false
	}
	return o.members[i], true
}

// scanObject reads the object whose '{' is at open in clean (valid JSON).
func scanObject(clean []byte, open int) (object, error) {
	o := object{open: open}
	i := skipSpace(clean, open+1)
	for i < len(clean) && clean[i] != '}' {
		if clean[i] == ',' {
			i = skipSpace(clean, i+1)
			continue
		}
		if clean[i] != '"' {
			return o, fmt.Errorf("unexpected %q at byte %d", clean[i], i)
		}
		m := member{keyStart: i}
		end := stringEnd(clean, i)
		if err := json.Unmarshal(clean[i:end+1], &m.key); err != nil {
			return o, fmt.Errorf("key at byte %d: %w", i, err)
		}
		i = skipSpace(clean, end+1)
		if i >= len(clean) || clean[i] != ':' {
			return o, fmt.Errorf("expected ':' at byte %d", i)
		}
		m.valStart = skipSpace(clean, i+1)
		m.valEnd = valueEnd(clean, m.valStart)
		if clean[m.valStart] == '{' {
			m.isObject, m.open, m.close = true, m.valStart, m.valEnd-1
		}
		o.members = append(o.members, m)
		i = skipSpace(clean, m.valEnd)
	}
	o.close = i
	return o, nil
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// valueEnd returns the offset just past the value starting at i.
func valueEnd(b []byte, i int) int {
	switch b[i] {
	case '"':
		return stringEnd(b, i) + 1
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				j = stringEnd(b, j)
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return len(b)
	}
	j := i
	for j < len(b) && !isSpace(b[j]) && b[j] != ',' && b[j] != '}' && b[j] != ']' {
		j++
	}
	return j
}

// insertMember adds "key": val as the last member of o.
func insertMember(doc, clean []byte, o object, key string, val []byte, unit string) []byte {
	closeIndent := lineIndent(doc, o.open)
	if lineStartsAt(doc, o.close) {
		closeIndent = lineIndent(doc, o.close)
	}
	if len(o.members) == 0 {
		ind := closeIndent + unit
		text := "\n" + ind + key + ": " + string(render(val, ind, unit))
		if isBlank(doc[o.open+1 : o.close]) {
			return splice(doc, o.open+1, o.close, []byte(text+"\n"+closeIndent))
		}
		return splice(doc, o.open+1, o.open+1, []byte(text))
	}
	first, last := o.members[0], o.members[len(o.members)-1]
	if sameLine(doc, o.open, first.keyStart) {
		// A one-line object stays on one line.
		text := ", " + key + ": " + string(pretty.Ugly(val))
		return splice(doc, last.valEnd, last.valEnd, []byte(text))
	}
	ind := lineIndent(doc, first.keyStart)
	k, comma := last.valEnd-1, true
	if c := trailingComma(doc, clean, last.valEnd, o.close); c >= 0 {
		k, comma = c, false
	}
	at := k + 1
	if eol := bytes.IndexByte(doc[k+1:], '\n'); eol >= 0 && k+1+eol < o.close && isBlank(clean[k+1:k+1+eol]) {
		at = k + 1 + eol
		if at > 0 && doc[at-1] == '\r' {
			at--
		}
	}
	text := "\n" + ind + key + ": " + string(render(val, ind, unit))
	if !comma {
		text += "," // the file ends its objects with a comma: so does the new last member
	}
	out := splice(doc, at, at, []byte(text))
	if comma {
		out = splice(out, last.valEnd, last.valEnd, []byte(","))
	}
	return out
}

// removeMember cuts member i out of o.
func removeMember(doc, clean []byte, o object, i int) []byte {
	m := o.members[i]
	end := m.valEnd
	if c := trailingComma(doc, clean, end, o.close); c >= 0 && i < len(o.members)-1 {
		end = c + 1
	} else if i < len(o.members)-1 {
		end = bytes.IndexByte(clean[end:], ',') + end + 1
	}
	start := m.keyStart
	if i == len(o.members)-1 && i > 0 {
		return removeLast(doc, clean, o, i)
	}
	if lineStartsAt(doc, m.keyStart) {
		start = m.keyStart - len(lineIndent(doc, m.keyStart))
		if eol := bytes.IndexByte(clean[end:], '\n'); eol >= 0 && end+eol < o.close && isBlank(clean[end:end+eol]) {
			end += eol + 1
		}
	} else {
		end = skipSpace(clean, end)
	}
	out := splice(doc, start, end, nil)
	if len(o.members) == 1 {
		// The object is now empty: "{" and "}" close up when only space is left.
		closeAt := o.close - (end - start)
		if isBlank(out[o.open+1 : closeAt]) {
			out = splice(out, o.open+1, closeAt, nil)
		}
	}
	return out
}

// removeLast cuts the last member (not the only one) out of o. On its own
// line it goes with that line and the comma before it; inline it goes with
// the ", " before it. A trailing comma after it stays, after the new last member.
func removeLast(doc, clean []byte, o object, i int) []byte {
	m, prev := o.members[i], o.members[i-1]
	prevComma := bytes.IndexByte(clean[prev.valEnd:], ',') + prev.valEnd
	start, end := prevComma, m.valEnd
	if lineStartsAt(doc, m.keyStart) {
		start = bytes.LastIndexByte(doc[:m.keyStart], '\n')
		if start > 0 && doc[start-1] == '\r' {
			start--
		}
	}
	if c := trailingComma(doc, clean, m.valEnd, o.close); c >= 0 {
		end = c + 1
		if start == prevComma {
			end = c
		}
		prevComma = -1
	}
	if eol := bytes.IndexByte(clean[end:], '\n'); eol >= 0 && end+eol < o.close && isBlank(clean[end:end+eol]) {
		end += eol
		if doc[end-1] == '\r' {
			end--
		}
	}
	out := splice(doc, start, end, nil)
	if prevComma >= 0 && start != prevComma {
		out = splice(out, prevComma, prevComma+1, nil)
	}
	return out
}

// trailingComma finds a comma the comment stripper blanked (a trailing comma
// before the closing brace) between from and to, or -1.
func trailingComma(doc, clean []byte, from, to int) int {
	for j := from; j < to; j++ {
		if doc[j] == ',' && clean[j] == ' ' && !inComment(doc, clean, j) {
			return j
		}
	}
	return -1
}

// inComment reports whether the blanked byte at j was part of a comment: a
// comment blanks a run that begins with "/"; a trailing comma is blanked alone.
func inComment(doc, clean []byte, j int) bool {
	for k := j; k >= 0 && clean[k] == ' ' && doc[k] != '\n'; k-- {
		if doc[k] == '/' && k+1 < len(doc) && (doc[k+1] == '/' || doc[k+1] == '*') {
			return true
		}
	}
	return false
}

// render lays out val (compact or not) over several lines, every line after
// the first prefixed with prefix.
func render(val []byte, prefix, unit string) []byte {
	out := pretty.PrettyOptions(val, &pretty.Options{Width: -1, Prefix: prefix, Indent: unit, SortKeys: false})
	out = bytes.TrimSuffix(bytes.TrimPrefix(out, []byte(prefix)), []byte("\n"))
	return out
}

// indentUnit is one level of the document's indentation: the leading
// whitespace of the top object's first member when it sits on its own line,
// else two spaces.
func indentUnit(doc []byte, top object) string {
	if len(top.members) > 0 && lineStartsAt(doc, top.members[0].keyStart) {
		if u := lineIndent(doc, top.members[0].keyStart); u != "" {
			return u
		}
	}
	return "  "
}

// lineIndent is the whitespace that opens the line holding offset i.
func lineIndent(doc []byte, i int) string {
	s := bytes.LastIndexByte(doc[:i], '\n') + 1
	e := s
	for e < len(doc) && (doc[e] == ' ' || doc[e] == '\t') {
		e++
	}
	return string(doc[s:e])
}

// lineStartsAt reports whether only whitespace precedes offset i on its line.
func lineStartsAt(doc []byte, i int) bool {
	s := bytes.LastIndexByte(doc[:i], '\n') + 1
	return isBlank(bytes.TrimPrefix(doc[s:i], utf8BOM))
}

func sameLine(doc []byte, a, b int) bool { return bytes.IndexByte(doc[a:b], '\n') < 0 }

func isBlank(b []byte) bool { return len(bytes.TrimSpace(b)) == 0 }

// newline is the document's line ending.
func newline(doc []byte) string {
	if bytes.Contains(doc, []byte("\r\n")) {
		return "\r\n"
	}
	return "\n"
}

// splice replaces doc[from:to] with text, whose line breaks take the
// document's form (CRLF files stay CRLF).
func splice(doc []byte, from, to int, text []byte) []byte {
	if newline(doc) == "\r\n" {
		text = bytes.ReplaceAll(bytes.ReplaceAll(text, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))
	}
	out := make([]byte, 0, len(doc)-(to-from)+len(text))
	out = append(out, doc[:from]...)
	out = append(out, text...)
	return append(out, doc[to:]...)
}

func quote(s string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

func kindOfRaw(raw []byte) string {
	switch gjson.ParseBytes(raw).Type {
	case gjson.String:
		return "a string"
	case gjson.Number:
		return "a number"
	case gjson.True, gjson.False:
		return "a boolean"
	case gjson.Null:
		return "null"
	}
	if bytes.HasPrefix(bytes.TrimSpace(raw), []byte("[")) {
		return "an array"
	}
	return "not an object"
}

// checked parses old and out and returns out only when out is old with
// container.name set to raw (nil: removed) and nothing else changed.
func checked(old, out []byte, container, name string, raw []byte) ([]byte, error) {
	want, err := decodeDoc(old)
	if err != nil {
		return nil, err
	}
	c, _ := want[container].(map[string]any)
	if c == nil {
		c = map[string]any{}
	}
	if raw == nil {
		delete(c, name)
		if _, had := want[container]; had {
			want[container] = c
		}
	} else {
		var v any
		if err := unmarshalNumber(raw, &v); err != nil {
			return nil, err
		}
		c[name] = v
		want[container] = c
	}
	got, err := decodeDoc(out)
	if err != nil {
		return nil, fmt.Errorf("the edited text does not parse (%v); nothing was changed", err)
	}
	if !reflect.DeepEqual(got, want) {
		return nil, errors.New("the edited text does not hold exactly the intended change; nothing was changed")
	}
	return out, nil
}

func decodeDoc(doc []byte) (map[string]any, error) {
	var m map[string]any
	err := unmarshalNumber(bytes.TrimPrefix(StripComments(doc), utf8BOM), &m)
	return m, err
}

func unmarshalNumber(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	return d.Decode(v)
}
