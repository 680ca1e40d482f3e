package registry

import (
	"encoding/binary"
	"errors"
	"io"
	"math"
	"math/bits"
	"sync/atomic"

	"github.com/tidwall/gjson"
)

// jsonScanner validates JSON in one pass and lets its caller pick out members
// on the way, so a 100 MB ~/.claude.json (mostly prompt history) is read
// once: gjson.ValidBytes followed by gjson lookups would cross it three or
// four times, and encoding/json would allocate all of it.
//
// It accepts exactly RFC 8259 JSON (what JSON.parse accepts), except that it
// does not check UTF-8, which JSON.parse does not reject either.
//
// It reads either all of its input in data, or (with src) a window of it
// that slides: where a token runs past the end of data, more reads on
// into the same buffer, keeping only the bytes still needed (see more).
type jsonScanner struct {
	data  []byte
	pos   int
	depth int
	err   error

	// src, when set, is where data comes from: data is src.buf's window
	// onto the input from offset base on. mark is the input offset of the
	// earliest byte still needed (a value being skipped, whose bytes skip
	// returns), math.MaxInt for none.
	src  *scanSource
	base int
	mark int

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

// ws skips JSON whitespace.
func (s *jsonScanner) ws() { s.space() }

// space skips JSON whitespace and returns the byte after it, 0 at the end.
// Claude Code indents its files by two spaces a level: runs of spaces are
// crossed eight at a time.
func (s *jsonScanner) space() byte {
	for {
		d, i := s.data, s.pos
		for i < len(d) {
			switch c := d[i]; {
			case c > ' ':
				s.pos = i
				return c
			case c == ' ':
				i++
				for i+8 <= len(d) && binary.LittleEndian.Uint64(d[i:]) == lsb*' ' {
					i += 8
				}
			case c == '\n' || c == '\t' || c == '\r':
				i++
			default:
				s.pos = i
				return c
			}
		}
		s.pos = i
		if !s.more() {
			return 0
		}
	}
}

// scanSource is a jsonScanner's input read through a reused buffer: the
// bytes of r from off up to end (the size the file had when opened).
type scanSource struct {
	r        io.ReaderAt
	off, end int64
	buf      []byte
	// err is why the input ended before end: a read error,
	// io.ErrUnexpectedEOF when the file shrank, or errStopped. The scanner
	// sees the end of its input; the caller must not trust what it read.
	err error
	// stop, when set and true, ends the input at the next read: a second
	// scanner whose half is no longer wanted (see scanClaudeMain).
	stop *atomic.Bool
}

var errStopped = errors.New("stopped")

// newStreamScanner returns a scanner of r's bytes from off to end, read
// through buf.
func newStreamScanner(r io.ReaderAt, off, end int64, buf []byte) *jsonScanner {
	if len(buf) == 0 {
		buf = make([]byte, 1)
	}
	return &jsonScanner{data: buf[:0], base: int(off), mark: math.MaxInt, src: &scanSource{r: r, off: off, end: end, buf: buf}}
}

// more reads more input after the end of data, keeping data from pos (or
// from mark, when earlier) on, and reports whether it read any: never
// without src. Positions into data shift down by the bytes dropped (the
// growth of base), even when none was read (the file shrank): callers
// holding data or a position in a local reload or adjust it.
func (s *jsonScanner) more() bool {
	if s.src == nil {
		return false
	}
	return s.refill()
}

// refill is more's work, out of the scanner's loops.
func (s *jsonScanner) refill() bool {
	src := s.src
	if src.off >= src.end || src.err != nil {
		return false
	}
	if src.stop != nil && src.stop.Load() {
		src.err = errStopped
		return false
	}
	keep := min(s.pos, s.mark-s.base)
	n := copy(src.buf, s.data[keep:])
	if n > len(src.buf)/2 { // a long value is retained: grow, so the copying stays linear
		b := make([]byte, 2*len(src.buf))
		copy(b, src.buf[:n])
		src.buf = b
	}
	want := min(int64(len(src.buf)-n), src.end-src.off)
	got, err := src.r.ReadAt(src.buf[n:n+int(want)], src.off)
	if got < int(want) {
		if err == nil || errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF // it shrank since it was opened
		}
		src.err = err // what was read is scanned; the caller distrusts it
	}
	src.off += int64(got)
	s.data = src.buf[:n+got]
	s.base += keep
	s.pos -= keep
	return got > 0
}

// peek returns the next non-space byte, 0 at the end.
func (s *jsonScanner) peek() byte {
	if c := s.peekIn(); c != 0 {
		return c
	}
	return s.space()
}

// peekIn is peek within data, without reading more: 0 where peek must
// read on. The scanner's loops call it, and space only when it returns 0,
// instead of peek: it is inlined (a call for every token of an indented
// file cost a tenth of the scan), and cannot be with the call in it.
func (s *jsonScanner) peekIn() byte {
	for s.pos < len(s.data) {
		switch c := s.data[s.pos]; c {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return c
		}
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
	c := s.peekIn()
	if c == 0 {
		c = s.space()
	}
	switch c {
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

// skip validates the next value and returns its raw bytes (reading a
// stream, valid until the scanner reads on).
func (s *jsonScanner) skip() ([]byte, bool) {
	s.ws()
	outer, start := s.mark, s.base+s.pos
	s.mark = min(outer, start)
	ok := s.value()
	s.mark = outer
	return s.data[start-s.base : s.pos], ok
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
	if c := s.peekIn(); c == '}' || c == 0 && s.space() == '}' {
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
		if c := s.peekIn(); c != '"' && (c != 0 || s.space() != '"') {
			return s.fail()
		}
		if s.handoff != nil && s.base+s.pos == s.handoffAt && s.depth == s.handoffDepth && s.handoff() {
			s.stopped = true
			return true
		}
		key, ok := s.str(member != nil)
		if !ok {
			return false
		}
		if c := s.peekIn(); c != ':' && (c != 0 || s.space() != ':') {
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
	c := s.peekIn()
	if c == 0 {
		c = s.space()
	}
	switch c {
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
	if c := s.peekIn(); c == ']' || c == 0 && s.space() == ']' {
		s.pos++
		s.depth--
		return true
	}
	for {
		if !s.value() {
			return false
		}
		c := s.peekIn()
		if c == 0 {
			c = s.space()
		}
		switch c {
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
	for len(s.data)-s.pos < len(lit) && s.more() {
	}
	if len(s.data)-s.pos < len(lit) || string(s.data[s.pos:s.pos+len(lit)]) != lit {
		return s.fail()
	}
	s.pos += len(lit)
	return true
}

func (s *jsonScanner) number() bool {
	if s.at() == '-' {
		s.pos++
	}
	switch c := s.at(); {
	case c == '0':
		s.pos++
	case c >= '1' && c <= '9':
		s.digits()
	default:
		return s.fail()
	}
	if s.at() == '.' {
		s.pos++
		if !s.digits() {
			return s.fail()
		}
	}
	if c := s.at(); c == 'e' || c == 'E' {
		s.pos++
		if c := s.at(); c == '+' || c == '-' {
			s.pos++
		}
		if !s.digits() {
			return s.fail()
		}
	}
	return true
}

// at returns the byte at pos, 0 at the end of the input.
func (s *jsonScanner) at() byte {
	if s.pos < len(s.data) || s.more() {
		return s.data[s.pos]
	}
	return 0
}

// digits consumes a run of digits and reports whether there was one.
func (s *jsonScanner) digits() bool {
	from := s.base + s.pos
	for {
		for s.pos < len(s.data) && s.data[s.pos] >= '0' && s.data[s.pos] <= '9' {
			s.pos++
		}
		if s.pos < len(s.data) || !s.more() {
			return s.base+s.pos > from
		}
	}
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

// indexSpecialGo is indexSpecial in Go: eight bytes at a time (SWAR),
// four words a round.
func indexSpecialGo(d []byte) int {
	le := binary.LittleEndian
	i := 0
	for i+32 <= len(d) {
		w := d[i : i+32]
		m0, m1, m2, m3 := special(le.Uint64(w)), special(le.Uint64(w[8:])), special(le.Uint64(w[16:])), special(le.Uint64(w[24:]))
		if m0|m1|m2|m3 == 0 {
			i += 32
			continue
		}
		switch {
		case m0 != 0:
			return i + bits.TrailingZeros64(m0)/8
		case m1 != 0:
			return i + 8 + bits.TrailingZeros64(m1)/8
		case m2 != 0:
			return i + 16 + bits.TrailingZeros64(m2)/8
		}
		return i + 24 + bits.TrailingZeros64(m3)/8
	}
	for i+8 <= len(d) {
		if m := special(le.Uint64(d[i:])); m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
		i += 8
	}
	for i < len(d) && d[i] != '"' && d[i] != '\\' && d[i] >= 0x20 {
		i++
	}
	return i
}

// str validates a string starting at its quote. With decode it returns the
// string's value (keys are short; values are skipped without copying).
// Strings are most of a history-laden file: they are crossed by
// indexSpecial, 32 bytes a round on amd64.
func (s *jsonScanner) str(decode bool) (string, bool) {
	d := s.data
	start := s.pos
	i := start + 1
	escaped := false
	for {
		i += indexSpecial(d[i:])
		if i >= len(d) {
			var more bool
			start, i, more = s.strMore(decode, start, i)
			if d = s.data; more {
				continue
			}
			s.pos = len(d)
			return "", s.fail()
		}
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
			for len(d)-i < 6 && s.src != nil { // an escape is up to 6 bytes
				var more bool
				start, i, more = s.strMore(decode, start, i)
				if d = s.data; !more {
					break
				}
			}
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

// strMore is more in the middle of a string at i, whose opening quote is
// at start: kept only while it is decoded. It returns both shifted.
func (s *jsonScanner) strMore(decode bool, start, i int) (int, int, bool) {
	s.pos = i
	if decode {
		s.pos = start
	}
	base := s.base
	more := s.more()
	shift := s.base - base
	return start - shift, i - shift, more
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
