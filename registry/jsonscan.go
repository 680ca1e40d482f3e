package registry

import (
	"encoding/binary"
	"errors"
	"math/bits"

	"github.com/tidwall/gjson"
)

// jsonScanner validates JSON in one pass and lets its caller pick out members
// on the way, so a 100 MB ~/.claude.json (mostly prompt history) is read
// once: gjson.ValidBytes followed by gjson lookups would cross it three or
// four times, and encoding/json would allocate all of it.
//
// It accepts exactly RFC 8259 JSON (what JSON.parse accepts), except that it
// does not check UTF-8, which JSON.parse does not reject either.
type jsonScanner struct {
	data  []byte
	pos   int
	depth int
	err   error

	// handoffAt is where another scanner has read the rest of the input
	// (see claudecode_split.go): when handoff is set, reaching a member key
	// exactly there, at depth handoffDepth, asks handoff whether to stop;
	// if it says yes, stopped is set and every enclosing object and the
	// document return true at once.
	handoffAt, handoffDepth int
	handoff                 func() bool
	stopped                 bool
}

// maxJSONDepth bounds recursion on hostile input; real configs nest < 20.
const maxJSONDepth = 10000

var errJSONSyntax = errors.New("invalid JSON")

// fail records the first syntax error at the current position.
func (s *jsonScanner) fail() bool {
	if s.err == nil {
		s.err = errJSONSyntax
	}
	return false
}

func (s *jsonScanner) ws() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, 0 at the end.
func (s *jsonScanner) peek() byte {
	s.ws()
	if s.pos < len(s.data) {
		return s.data[s.pos]
	}
	return 0
}

// document validates the whole input as one value, calling top for each
// member when it is an object (see object).
func (s *jsonScanner) document(top func(key string) bool) bool {
	ok := false
	if s.peek() == '{' && top != nil {
		ok = s.object(top)
	} else {
		ok = s.value()
	}
	if s.stopped {
		return ok && s.err == nil // the rest was read by another scanner
	}
	if s.ws(); ok && s.pos < len(s.data) {
		return s.fail()
	}
	return ok && s.err == nil
}

// value validates and skips one value.
func (s *jsonScanner) value() bool {
	switch s.peek() {
	case '{':
		return s.object(nil)
	case '[':
		return s.array()
	case '"':
		_, ok := s.str(false)
		return ok
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.literal("null")
	default:
		return s.number()
	}
}

// skip validates the next value and returns its raw bytes.
func (s *jsonScanner) skip() ([]byte, bool) {
	s.ws()
	start := s.pos
	ok := s.value()
	return s.data[start:s.pos], ok
}

// object validates an object. For each member it calls member with the
// decoded key, positioned at the value; member must consume the value (with
// value, skip or a nested object) and return whether that succeeded. A nil
// member skips every value.
func (s *jsonScanner) object(member func(key string) bool) bool {
	if s.depth++; s.depth > maxJSONDepth {
		return s.fail()
	}
	s.pos++ // '{'
	if s.peek() == '}' {
		s.pos++
		s.depth--
		return true
	}
	return s.members(member)
}

// members scans an object's members from its next key through its closing
// brace (see object).
func (s *jsonScanner) members(member func(key string) bool) bool {
	for {
		if s.peek() != '"' {
			return s.fail()
		}
		if s.handoff != nil && s.pos == s.handoffAt && s.depth == s.handoffDepth && s.handoff() {
			s.stopped = true
			return true
		}
		key, ok := s.str(member != nil)
		if !ok {
			return false
		}
		if s.peek() != ':' {
			return s.fail()
		}
		s.pos++
		if member != nil {
			ok = member(key)
		} else {
			ok = s.value()
		}
		if !ok {
			return s.fail()
		}
		if s.stopped {
			return true
		}
		if more, ok := s.next(); !more {
			return ok
		}
	}
}

// next consumes what follows a member's value: a comma, when more members
// follow, or the object's closing brace.
func (s *jsonScanner) next() (more, ok bool) {
	switch s.peek() {
	case ',':
		s.pos++
		return true, true
	case '}':
		s.pos++
		s.depth--
		return false, true
	}
	return false, s.fail()
}

func (s *jsonScanner) array() bool {
	if s.depth++; s.depth > maxJSONDepth {
		return s.fail()
	}
	s.pos++ // '['
	if s.peek() == ']' {
		s.pos++
		s.depth--
		return true
	}
	for {
		if !s.value() {
			return false
		}
		switch s.peek() {
		case ',':
			s.pos++
		case ']':
			s.pos++
			s.depth--
			return true
		default:
			return s.fail()
		}
	}
}

func (s *jsonScanner) literal(lit string) bool {
	if len(s.data)-s.pos < len(lit) || string(s.data[s.pos:s.pos+len(lit)]) != lit {
		return s.fail()
	}
	s.pos += len(lit)
	return true
}

func (s *jsonScanner) number() bool {
	d, i := s.data, s.pos
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && d[i] >= '1' && d[i] <= '9':
		i = digits(d, i)
	default:
		s.pos = i
		return s.fail()
	}
	if i < len(d) && d[i] == '.' {
		if j := digits(d, i+1); j > i+1 {
			i = j
		} else {
			s.pos = j
			return s.fail()
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		j := digits(d, i)
		if j == i {
			s.pos = j
			return s.fail()
		}
		i = j
	}
	s.pos = i
	return true
}

func digits(d []byte, i int) int {
	for i < len(d) && d[i] >= '0' && d[i] <= '9' {
		i++
	}
	return i
}

// SWAR constants: a byte-wise test on 8 bytes at once.
const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// special flags, in each byte's top bit, the bytes that end a run of plain
// string characters: '"', '\\' and control characters. Only the lowest
// flagged byte is exact (borrows can flag bytes above it), which is all str
// needs.
func special(x uint64) uint64 {
	q := x ^ (lsb * '"')
	b := x ^ (lsb * '\\')
	return ((q-lsb)&^q | (b-lsb)&^b | (x-lsb*0x20)&^x) & msb
}

// str validates a string starting at its quote. With decode it returns the
// string's value (keys are short; values are skipped without copying).
// Strings are most of a history-laden file: they are crossed 16 bytes at a
// time.
func (s *jsonScanner) str(decode bool) (string, bool) {
	d := s.data
	start := s.pos
	i := start + 1
	escaped := false
	for {
		le := binary.LittleEndian
		for i+32 <= len(d) {
			w := d[i : i+32]
			m0, m1, m2, m3 := special(le.Uint64(w)), special(le.Uint64(w[8:])), special(le.Uint64(w[16:])), special(le.Uint64(w[24:]))
			if m0|m1|m2|m3 == 0 {
				i += 32
				continue
			}
			switch {
			case m0 != 0:
				i += bits.TrailingZeros64(m0) / 8
			case m1 != 0:
				i += 8 + bits.TrailingZeros64(m1)/8
			case m2 != 0:
				i += 16 + bits.TrailingZeros64(m2)/8
			default:
				i += 24 + bits.TrailingZeros64(m3)/8
			}
			goto found
		}
		for i+8 <= len(d) {
			if m := special(le.Uint64(d[i:])); m != 0 {
				i += bits.TrailingZeros64(m) / 8
				goto found
			}
			i += 8
		}
		for i < len(d) && d[i] != '"' && d[i] != '\\' && d[i] >= 0x20 {
			i++
		}
		if i >= len(d) {
			s.pos = len(d)
			return "", s.fail()
		}
	found:
		switch c := d[i]; {
		case c == '"':
			s.pos = i + 1
			switch {
			case !decode:
				return "", true
			case !escaped:
				return string(d[start+1 : i]), true
			}
			return gjson.ParseBytes(d[start:s.pos]).String(), true
		case c == '\\':
			escaped = true
			n, ok := escapeLen(d[i:])
			if !ok {
				s.pos = i
				return "", s.fail()
			}
			i += n
		default:
			s.pos = i
			return "", s.fail()
		}
	}
}

// escapeLen returns the length of the escape sequence at the start of d.
func escapeLen(d []byte) (int, bool) {
	if len(d) < 2 {
		return 0, false
	}
	switch d[1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 2, true
	case 'u':
		if len(d) < 6 {
			return 0, false
		}
		for _, h := range d[2:6] {
			if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
				return 0, false
			}
		}
		return 6, true
	}
	return 0, false
}
