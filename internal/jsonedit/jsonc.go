package jsonedit

import "bytes"

// StripComments returns a copy of data with // and /* */ comments and trailing
// commas before } or ] replaced by spaces. Newlines inside block comments are
// kept, so every remaining byte keeps its line and column.
func StripComments(data []byte) []byte {
	out := make([]byte, len(data))
	copy(out, data)
	blank := func(from, to int) {
		for i := from; i < to && i < len(out); i++ {
			if out[i] != '\n' && out[i] != '\r' {
				out[i] = ' '
			}
		}
	}
	for i := 0; i < len(out); i++ {
		switch {
		case out[i] == '"':
			i = stringEnd(out, i)
		case out[i] == '/' && i+1 < len(out) && out[i+1] == '/':
			end := bytes.IndexByte(out[i:], '\n')
			if end < 0 {
				end = len(out) - i
			}
			blank(i, i+end)
			i += end
		case out[i] == '/' && i+1 < len(out) && out[i+1] == '*':
			end := bytes.Index(out[i+2:], []byte("*/"))
			if end < 0 {
				return out // unterminated: leave it for the parser to report
			}
			blank(i, i+2+end+2)
			i += 2 + end + 1
		}
	}
	// Trailing commas, now that comments are whitespace. Only a comma after a
	// value counts: in ",," or "[," the parser should still see the error.
	prev := byte(0) // the last significant byte
	for i := 0; i < len(out); i++ {
		c := out[i]
		switch {
		case c == '"':
			i = stringEnd(out, i)
		case c == ',' && prev != ',' && prev != '{' && prev != '[':
			j := i + 1
			for j < len(out) && isSpace(out[j]) {
				j++
			}
			if j < len(out) && (out[j] == '}' || out[j] == ']') {
				out[i] = ' '
			}
		}
		if !isSpace(c) {
			prev = c
		}
	}
	return out
}

// stringEnd returns the index of the quote closing the string that opens at i
// (or the last index when it never closes).
func stringEnd(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j
		}
	}
	return len(b) - 1
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
