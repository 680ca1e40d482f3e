// Package jsonindent writes JSON indented byte for byte as encoding/json's
// Indent (and so an Encoder with SetIndent) does, streaming to a writer.
//
// Why not encoding/json: Indent runs its validating scanner's state machine
// on every byte and appends to one growing buffer; `mcpmend list --json` of
// 15,000 servers is 9 MB of output, and that indent was a third of the
// command's CPU time. Here strings are crossed with bytes.IndexByte and the
// output goes out in fixed-size chunks. The input must be valid JSON (what
// json.Marshal returns); FuzzWrite checks the output against json.Indent.
package jsonindent

import (
	"bytes"
	"io"
)

// Write writes src, valid JSON, to w indented as json.Indent(dst, src,
// prefix, indent) would: each element on its own line beginning with
// prefix and one indent per level, empty objects and arrays as {} and [],
// insignificant whitespace dropped except after the top-level value.
func Write(w io.Writer, src []byte, prefix, indent string) error {
	x := indenter{w: w, prefix: prefix, indent: indent, buf: make([]byte, 0, chunk+1024)}
	x.run(src)
	x.flush()
	return x.err
}

// chunk is how much output is gathered before it is written.
const chunk = 64 << 10

type indenter struct {
	w              io.Writer
	err            error
	buf            []byte
	prefix, indent string
	lines          []byte // "\n" + prefix + indent × n, grown as deeper levels appear
	depth          int
	open           bool // after '{' or '[': the newline waits, so that empty ones stay {} and []
	started        bool // the top-level value has begun
}

func (x *indenter) run(src []byte) {
	for i := 0; i < len(src); {
		if len(x.buf) >= chunk {
			x.flush()
		}
		c := src[i]
		switch c {
		case ' ', '\t', '\n', '\r':
			if x.started && x.depth == 0 && !x.open {
				x.buf = append(x.buf, c) // after the top-level value: kept, as json.Indent does
			}
			i++
			continue
		}
		x.started = true
		if x.open && c != '}' && c != ']' {
			x.open = false
			x.depth++
			x.newline()
		}
		switch c {
		case '"':
			end := stringEnd(src, i)
			x.buf = append(x.buf, src[i:end]...)
			i = end
			continue
		case '{', '[':
			x.open = true
			x.buf = append(x.buf, c)
		case ',':
			x.buf = append(x.buf, c)
			x.newline()
		case ':':
			x.buf = append(x.buf, ':', ' ')
		case '}', ']':
			if x.open {
				x.open = false
			} else {
				x.depth--
				x.newline()
			}
			x.buf = append(x.buf, c)
		default: // numbers and literals: up to the next delimiter
			j := i + 1
			for j < len(src) && !delimiter(src[j]) {
				j++
			}
			x.buf = append(x.buf, src[i:j]...)
			i = j
			continue
		}
		i++
	}
}

// newline starts a line at the current depth.
func (x *indenter) newline() {
	n := 1 + len(x.prefix) + x.depth*len(x.indent)
	for len(x.lines) < n {
		if len(x.lines) == 0 {
			x.lines = append(append(x.lines, '\n'), x.prefix...)
		} else {
			x.lines = append(x.lines, x.indent...)
		}
	}
	x.buf = append(x.buf, x.lines[:n]...)
}

func (x *indenter) flush() {
	if x.err == nil && len(x.buf) > 0 {
		_, x.err = x.w.Write(x.buf)
	}
	x.buf = x.buf[:0]
}

func delimiter(c byte) bool {
	switch c {
	case ',', ':', '{', '}', '[', ']', '"', ' ', '\t', '\n', '\r':
		return true
	}
	return false
}

// stringEnd returns the index just past the string whose opening quote is
// at src[i]: its first quote not escaped by an odd run of backslashes.
func stringEnd(src []byte, i int) int {
	j := i + 1
	for {
		k := bytes.IndexByte(src[j:], '"')
		if k < 0 {
			return len(src) // invalid input; json.Marshal never returns it
		}
		j += k
		n := 0
		for src[j-1-n] == '\\' {
			n++
		}
		j++
		if n%2 == 0 {
			return j
		}
	}
}
