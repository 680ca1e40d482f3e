package nodejson

import (
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// The clients whose memory mcpmend reads are Node programs: they file servers
// under hashes of JSON.stringify output. Go's encoding/json escapes <, >, &
// and U+2028/2029 and orders map keys, so the exact bytes are produced here.

// Quote returns s as JSON.stringify writes a string: ", \ and control
// characters escaped (\b \f \n \r \t, else \u00xx in lower-case hex),
// everything else — non-ASCII included — as raw UTF-8. Bytes that are not
// UTF-8 become U+FFFD, as Node's UTF-8 file decoding does.
func Quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte("0123456789abcdef"[r>>4])
			b.WriteByte("0123456789abcdef"[r&0xf])
		default:
			b.WriteRune(r) // RuneError for invalid bytes writes U+FFFD
		}
	}
	b.WriteByte('"')
	return b.String()
}

// Pair is one property of a JavaScript object, in insertion order.
type Pair struct{ Key, Value string }

// Object builds a JS object from pairs as JSON.parse would: a repeated key
// keeps its first position and its last value.
func Object(pairs []Pair) []Pair {
	out := make([]Pair, 0, len(pairs))
	at := make(map[string]int, len(pairs))
	for _, p := range pairs {
		if i, ok := at[p.Key]; ok {
			out[i].Value = p.Value
			continue
		}
		at[p.Key] = len(out)
		out = append(out, p)
	}
	return out
}

// OwnKeysOrder orders an object's properties as JavaScript enumerates them:
// array-index keys ("0", "42") first in ascending numeric order, then the
// other keys in insertion order.
func OwnKeysOrder(pairs []Pair) []Pair {
	var idx, rest []Pair
	for _, p := range pairs {
		if isArrayIndex(p.Key) {
			idx = append(idx, p)
		} else {
			rest = append(rest, p)
		}
	}
	if len(idx) == 0 {
		return pairs
	}
	// insertion sort: header maps are tiny
	for i := 1; i < len(idx); i++ {
		for j := i; j > 0 && arrayIndex(idx[j].Key) < arrayIndex(idx[j-1].Key); j-- {
			idx[j], idx[j-1] = idx[j-1], idx[j]
		}
	}
	return append(idx, rest...)
}

// isArrayIndex reports whether k is a canonical array index: a decimal
// integer in [0, 2^32-2] without leading zeros.
func isArrayIndex(k string) bool {
	if k == "" || len(k) > 10 || (len(k) > 1 && k[0] == '0') {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < '0' || k[i] > '9' {
			return false
		}
	}
	return arrayIndex(k) <= 1<<32-2
}

func arrayIndex(k string) uint64 {
	n, _ := strconv.ParseUint(k, 10, 64)
	return n
}

// StringifyObject writes pairs as compact JSON.stringify output of a flat
// object of strings, in the given order.
func StringifyObject(pairs []Pair) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(Quote(p.Key))
		b.WriteByte(':')
		b.WriteString(Quote(p.Value))
	}
	b.WriteByte('}')
	return b.String()
}

// Less compares strings as Array.prototype.sort does by default: by UTF-16
// code units, which differs from byte order for characters above U+FFFF.
func Less(a, b string) bool {
	ua, ub := utf16.Encode([]rune(a)), utf16.Encode([]rune(b))
	for i := 0; i < len(ua) && i < len(ub); i++ {
		if ua[i] != ub[i] {
			return ua[i] < ub[i]
		}
	}
	return len(ua) < len(ub)
}

// IsSpace reports whether r is matched by \s in a JavaScript regexp (and
// removed by String.prototype.trim).
func IsSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff:
		return true
	}
	return r >= 0x2000 && r <= 0x200a
}

// Trim is String.prototype.trim.
func Trim(s string) string { return strings.TrimFunc(s, IsSpace) }
