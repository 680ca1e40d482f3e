// Package jsonout writes the --json results of `mcpmend list` and
// `mcpmend checkup` by hand, byte for byte as encoding/json writes them:
// json.Marshal's compact form, or the form of an Encoder with
// SetIndent("", "  ") written directly, without a second indenting pass.
//
// Why by hand: a list of 15,000 servers is 7 MB of compact JSON and 9.6 MB
// indented. Through encoding/json's reflection, then an indenting pass over
// the whole text, that output step allocated ~40 MB and cost more than
// reading the 100 MB ~/.claude.json it came from. Here each value is
// appended to one reusable chunk-sized buffer that is written out whenever
// it fills, so the output costs a few hundred kilobytes of memory whatever
// its size.
//
// What keeps it exact: the tests compare it with encoding/json on every
// field set and unset and on hostile strings (control characters, <>&,
// U+2028, invalid UTF-8), FuzzString and FuzzServer compare the two
// encoders on arbitrary input (.ci/fuzz runs them), and TestEveryField
// fills every field of the encoded types by reflection, so a field added
// to registry.Server, registry.OAuth, registry.Problem or cache.Summary
// that the encoder does not know fails the tests.
package jsonout

import (
	"errors"
	"io"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// chunk is how much output is gathered before it is written.
const chunk = 64 << 10

// newlines is "\n" and the indentation of the deepest level written here;
// a line break at depth d is its first 1+2d bytes.
const newlines = "\n                                                                "

// Writer appends JSON values to a buffer, compact or indented, and writes
// the buffer to its io.Writer (if any) each time it passes chunk bytes.
// A container is written by Begin…, then Key or Elem before each member,
// then End….
type Writer struct {
	buf    []byte
	w      io.Writer
	err    error
	indent bool
	depth  int
	open   bool // a container was just begun: the line break waits for its first member, so that empty ones stay {} and []
}

// Append returns a Writer appending to dst, never writing it anywhere:
// its Bytes are dst and what was appended.
func Append(dst []byte, indent bool) *Writer {
	return &Writer{buf: dst, indent: indent}
}

// Stream returns a Writer that writes to w in chunks; Flush writes the
// rest.
func Stream(w io.Writer, indent bool) *Writer {
	return &Writer{buf: make([]byte, 0, chunk+chunk/4), w: w, indent: indent}
}

// Bytes returns what an Append writer holds.
// AppendJSON appends what encode writes to dst, compact: the bytes
// json.Marshal gives for the value encode describes.
func AppendJSON(dst []byte, encode func(*Writer)) ([]byte, error) {
	w := Append(dst, false)
	encode(w)
	return w.Bytes(), w.Err()
}

// WriteJSON writes what encode writes to out in chunks as it is encoded,
// indented: the bytes a json.Encoder with SetIndent("", "  ") writes,
// final newline included. An error (encoding/json's: a time RFC 3339
// cannot hold) ends the output at the last chunk written before it.
func WriteJSON(out io.Writer, encode func(*Writer)) error {
	w := Stream(out, true)
	encode(w)
	w.Raw("\n")
	return w.Flush()
}

func (w *Writer) Bytes() []byte { return w.buf }

// Flush writes what is buffered and returns the first write error.
func (w *Writer) Flush() error {
	if w.w != nil && w.err == nil && len(w.buf) > 0 {
		_, w.err = w.w.Write(w.buf)
	}
	w.buf = w.buf[:0]
	return w.err
}

// fork returns a Writer appending to its own buffer for members of a
// container d levels below w's current one, that follow at least one
// member of it: encoded on another goroutine, then spliced in by join.
func (w *Writer) fork(d int) *Writer {
	return &Writer{indent: w.indent, depth: w.depth + d}
}

// join writes what f encoded at this point of w's output (straight to w's
// io.Writer, with no copy, when w streams) and takes its first error.
func (w *Writer) join(f *Writer) {
	if f.err != nil {
		w.Fail(f.err)
	}
	if w.w == nil {
		w.buf = append(w.buf, f.buf...)
	} else if w.Flush() == nil {
		_, w.err = w.w.Write(f.buf)
	}
	w.open = false
}

// Raw appends b as it is: a newline after the top-level value, as an
// Encoder writes it.
func (w *Writer) Raw(b string) { w.buf = append(w.buf, b...) }

// Fail records err, returned by Flush and Err, unless an error came first.
func (w *Writer) Fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

// Err returns the first error recorded.
func (w *Writer) Err() error { return w.err }

// member starts a member of the current container: a comma after the
// previous one, a line break and indentation when indenting; the buffer is
// written out first if it is full.
func (w *Writer) member() {
	if len(w.buf) >= chunk && w.w != nil {
		w.Flush()
	}
	if w.open {
		w.open = false
	} else {
		w.buf = append(w.buf, ',')
	}
	if w.indent {
		w.buf = append(w.buf, newlines[:1+2*w.depth]...)
	}
}

// BeginObject starts an object.
func (w *Writer) BeginObject() { w.begin('{') }

// BeginArray starts an array.
func (w *Writer) BeginArray() { w.begin('[') }

func (w *Writer) begin(c byte) {
	if w.depth >= (len(newlines)-1)/2 {
		panic("jsonout: nested deeper than " + strconv.Itoa((len(newlines)-1)/2))
	}
	w.buf = append(w.buf, c)
	w.depth++
	w.open = true
}

// EndObject ends an object.
func (w *Writer) EndObject() { w.end('}') }

// EndArray ends an array.
func (w *Writer) EndArray() { w.end(']') }

func (w *Writer) end(c byte) {
	w.depth--
	if w.open {
		w.open = false
	} else if w.indent {
		w.buf = append(w.buf, newlines[:1+2*w.depth]...)
	}
	w.buf = append(w.buf, c)
}

// Key starts an object member named k, a name encoding/json writes as it
// is (a struct field's json name: no character it escapes).
func (w *Writer) Key(k string) {
	w.member()
	w.buf = append(w.buf, '"')
	w.buf = append(w.buf, k...)
	if w.indent {
		w.buf = append(w.buf, '"', ':', ' ')
	} else {
		w.buf = append(w.buf, '"', ':')
	}
}

// StringKey starts an object member named by any string (a map key),
// escaped as a string value is.
func (w *Writer) StringKey(k string) {
	w.member()
	w.String(k)
	w.buf = append(w.buf, ':')
	if w.indent {
		w.buf = append(w.buf, ' ')
	}
}

// Elem starts an array element.
func (w *Writer) Elem() { w.member() }

// Null writes null.
func (w *Writer) Null() { w.buf = append(w.buf, "null"...) }

// Bool writes true or false.
func (w *Writer) Bool(b bool) { w.buf = strconv.AppendBool(w.buf, b) }

// Int writes n.
func (w *Writer) Int(n int) { w.buf = strconv.AppendInt(w.buf, int64(n), 10) }

// Float writes f as encoding/json writes a float64: the shortest decimal
// that reads back as f, in exponent form (e-7, not e-07) below 1e-6 and
// from 1e21; NaN and infinities are an error, as they are for it.
func (w *Writer) Float(f float64) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		w.Fail(errors.New("json: unsupported value: " + strconv.FormatFloat(f, 'g', -1, 64)))
		w.buf = append(w.buf, '0')
		return
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	n := len(w.buf)
	w.buf = strconv.AppendFloat(w.buf, f, format, -1, 64)
	if b := w.buf[n:]; format == 'e' && len(b) >= 4 && b[len(b)-4] == 'e' && b[len(b)-3] == '-' && b[len(b)-2] == '0' {
		b[len(b)-2] = b[len(b)-1]
		w.buf = w.buf[:len(w.buf)-1]
	}
}

// Strings writes ss as an array of strings (null for a nil slice, as
// encoding/json does).
func (w *Writer) Strings(ss []string) {
	if ss == nil {
		w.Null()
		return
	}
	w.BeginArray()
	for _, s := range ss {
		w.Elem()
		w.String(s)
	}
	w.EndArray()
}

// Time writes t as time.Time's MarshalJSON does (RFC 3339 with the
// nanoseconds it has); a time RFC 3339 cannot hold (a year past 9999, a
// zone offset of a day or more) is an error, as it is for encoding/json.
func (w *Writer) Time(t time.Time) {
	n := len(w.buf)
	w.buf = append(w.buf, '"')
	w.buf = t.AppendFormat(w.buf, time.RFC3339Nano)
	w.buf = append(w.buf, '"')
	if !strictRFC3339(w.buf[n+1 : len(w.buf)-1]) {
		w.buf = w.buf[:n]
		_, err := t.MarshalJSON()
		if err == nil {
			err = errors.New("time " + t.String() + " has no RFC 3339 form")
		}
		w.Fail(err)
	}
}

// strictRFC3339 is time.Time's check of its own RFC 3339 form before it
// lets MarshalJSON return it: a four-digit year and a zone hour under 24.
func strictRFC3339(b []byte) bool {
	if len(b) < len("2006-01-02T15:04:05Z") || b[4] != '-' {
		return false
	}
	if b[len(b)-1] == 'Z' {
		return true
	}
	c := b[len(b)-len("Z07:00")]
	h := b[len(b)-len("07:00"):]
	return !('0' <= c && c <= '9') && 10*(h[0]-'0')+(h[1]-'0') < 24
}

// hex is the digits of \u00XX escapes.
const hex = "0123456789abcdef"

// safe marks the ASCII bytes encoding/json writes as they are in a string
// with HTML escaping on (json.Marshal's default): every printable one but
// '"', '\\', '<', '>' and '&'. Bytes from 0x80 are not marked: they start
// a multi-byte rune, looked at rune by rune.
var safe = func() (t [256]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		t[b] = b != '"' && b != '\\' && b != '<' && b != '>' && b != '&'
	}
	return t
}()

// String writes s quoted as encoding/json does: \" \\ \b \f \n \r \t,
// other control characters and <, >, & as \u00XX, U+2028 and U+2029 as
// \u2028 and \u2029, and each byte of invalid UTF-8 as \ufffd.
func (w *Writer) String(s string) {
	w.buf = appendString(w.buf, s)
}

func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	i := 0
	for i < len(s) && safe[s[i]] {
		i++
	}
	if i == len(s) {
		return append(append(dst, s...), '"')
	}
	start := 0
	for i < len(s) {
		b := s[i]
		if safe[b] {
			i++
			continue
		}
		if b < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
