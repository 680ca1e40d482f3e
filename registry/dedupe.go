package registry

import "bytes"

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
