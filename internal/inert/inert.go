// Package inert makes text from configuration files, servers and child
// processes safe to show on a terminal or to a model: every C0 control
// character, DEL and C1 control (and the bidirectional overrides that make
// text read differently than it is stored) is replaced by a visible escape,
// so a server name, command, URL, stderr line or error text cannot move the
// cursor, recolour the screen, write the clipboard (OSC 52), or forge lines
// of mcpmend's own output.
//
// Call it when rendering, on the text as it goes out: the values themselves
// stay exact for dialling and keys.
package inert

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Text keeps newlines and tabs (the structure of a multi-line rendering)
// and escapes every other control character. Invalid UTF-8 becomes U+FFFD.
func Text(s string) string { return clean(s, true) }

// Line escapes every control character, newlines and tabs included: for one
// value (a name, a command) inside a line of output, which must not start
// a line of its own.
func Line(s string) string { return clean(s, false) }

func clean(s string, keepLayout bool) string {
	if safe(s, keepLayout) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
		case keepLayout && (r == '\n' || r == '\t'):
			b.WriteRune(r)
		case dangerous(r):
			b.WriteString(escape(r))
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// safe is the fast path: most text has nothing to escape.
func safe(s string, keepLayout bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf || c < 0x20 && !(keepLayout && (c == '\n' || c == '\t')) || c == 0x7f {
			if c < utf8.RuneSelf {
				return false
			}
			return safeSlow(s[i:], keepLayout)
		}
	}
	return true
}

func safeSlow(s string, keepLayout bool) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r == utf8.RuneError && size == 1 || dangerous(r) && !(keepLayout && (r == '\n' || r == '\t')) {
			return false
		}
	}
	return true
}

// dangerous reports the runes a terminal acts on rather than shows.
func dangerous(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069: // bidi embeddings, overrides, isolates
		return true
	}
	return false
}

// escape shows a control character as Go would quote it: \x1b, \r, \u009b.
func escape(r rune) string {
	switch r {
	case '\n':
		return `\n`
	case '\t':
		return `\t`
	case '\r':
		return `\r`
	}
	if r < 0x100 {
		return fmt.Sprintf(`\x%02x`, r)
	}
	return fmt.Sprintf(`\u%04x`, r)
}
