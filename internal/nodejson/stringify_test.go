package nodejson

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzJSQuote checks that Quote always yields a JSON string that decodes
// to its input (invalid bytes read as U+FFFD, as Node reads a file).
func FuzzJSQuote(f *testing.F) {
	for _, s := range []string{"", "ü1", "a\"b\\c", "\x00\x1f\x7f", "\u2028", "\xff\xfe", "🔑"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := Quote(s)
		var back string
		if err := json.Unmarshal([]byte(q), &back); err != nil {
			t.Fatalf("Quote(%q) = %s is not JSON: %v", s, q, err)
		}
		var want strings.Builder
		for _, r := range s {
			want.WriteRune(r)
		}
		if back != want.String() || !utf8.ValidString(q) {
			t.Fatalf("Quote(%q) = %s decodes to %q", s, q, back)
		}
	})
}
