package registry

import (
	"bytes"
	"slices"
)

// dedupeJSON resolves duplicate object keys in valid JSON the way the
// JavaScript clients (Claude Code, Claude Desktop, Cursor, VS Code, Gemini
// CLI, Windsurf) read their files with JSON.parse: the last value wins, at
// the place of the first. gjson, which the readers query, would return the
// first — a benign command shown while the client runs another. Zed reads
// its settings with serde_json into a map-backed Value, where the last
// insert wins too (a struct-typed serde read would reject a repeated field
// instead; not measured on a current Zed). Codex's TOML parser refuses a
// repeated key, and so does readTOML. data must
// already be valid (depth-bounded) JSON; it is returned as is when no key
// repeats, else as compact JSON.
func dedupeJSON(data []byte) []byte {
	if !hasDuplicateKeys(data) { // the usual case: no rewrite, no copy
		return data
	}
	return rewriteDuplicates(data)
}

// rewriteDuplicates is dedupeJSON's rewrite, for input with a repeated key
// (or any valid input: it returns data itself when no key repeats).
func rewriteDuplicates(data []byte) []byte {
	d := &deduper{s: jsonScanner{data: data}}
	var out bytes.Buffer
	out.Grow(len(data))
	d.value(&out)
	if !d.dup {
		return data
	}
	return out.Bytes()
}

// deduper rewrites a validated document, noting whether any key repeated.
type deduper struct {
	s   jsonScanner
	dup bool
}

// member is one object member: its key as written and its rewritten value.
type member struct {
	key []byte
	val []byte
}

func (d *deduper) value(out *bytes.Buffer) {
	s := &d.s
	switch s.peek() {
	case '{':
		d.object(out)
	case '[':
		s.pos++
		out.WriteByte('[')
		for first := true; s.peek() != ']' && s.pos < len(s.data); first = false {
			if !first {
				s.pos++ // ','
				out.WriteByte(',')
			}
			d.value(out)
			s.peek()
		}
		s.pos++
		out.WriteByte(']')
	default:
		raw, _ := s.skip()
		out.Write(raw)
	}
}

func (d *deduper) object(out *bytes.Buffer) {
	s := &d.s
	s.pos++ // '{'
	var members []member
	index := map[string]int{}
	for s.peek() != '}' && s.pos < len(s.data) {
		if s.data[s.pos] == ',' {
			s.pos++
			s.peek()
		}
		start := s.pos
		key, _ := s.str(true)
		raw := s.data[start:s.pos]
		s.peek()
		s.pos++ // ':'
		var val bytes.Buffer
		d.value(&val)
		if i, ok := index[key]; ok {
			members[i].val = val.Bytes()
			d.dup = true
			continue
		}
		index[key] = len(members)
		members = append(members, member{key: raw, val: val.Bytes()})
	}
	s.pos++ // '}'
	out.WriteByte('{')
	for i, m := range members {
		if i > 0 {
			out.WriteByte(',')
		}
		out.Write(m.key)
		out.WriteByte(':')
		out.Write(m.val)
	}
	out.WriteByte('}')
}

// hasDuplicateKeys reports whether any object in data, valid JSON, repeats
// a key (compared decoded, as dedupeJSON does). It only reads: rewriting
// every server entry of a 15,000-server ~/.claude.json to find none was a
// tenth of `list`.
func hasDuplicateKeys(data []byte) bool {
	c := dupChecker{s: jsonScanner{data: data}}
	c.value()
	return c.dup
}

// dupChecker walks a valid document; keys holds the keys of the objects
// being walked, each object's from its own base index.
type dupChecker struct {
	s    jsonScanner
	keys []string
	dup  bool
}

func (c *dupChecker) value() bool {
	s := &c.s
	switch s.peek() {
	case '{':
		base := len(c.keys)
		var seen map[string]bool // for a large object, where a linear search would be quadratic
		ok := s.object(func(key string) bool {
			switch {
			case c.dup:
			case seen != nil:
				c.dup = seen[key]
				seen[key] = true
			case slices.Contains(c.keys[base:], key):
				c.dup = true
			case len(c.keys)-base >= 32:
				seen = map[string]bool{key: true}
				for _, k := range c.keys[base:] {
					seen[k] = true
				}
			}
			if seen == nil {
				c.keys = append(c.keys, key)
			}
			return c.value()
		})
		c.keys = c.keys[:base]
		return ok
	case '[':
		s.pos++
		for first := true; s.peek() != ']' && s.pos < len(s.data); first = false {
			if !first {
				s.pos++ // ','
			}
			if !c.value() {
				return false
			}
		}
		s.pos++
		return true
	}
	return s.value()
}
