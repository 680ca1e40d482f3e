package inert

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestText(t *testing.T) {
	for in, want := range map[string]string{
		"plain name":             "plain name",
		"two\nlines\tand tab":    "two\nlines\tand tab",
		"\x1b[31mred\x1b[0m":     `\x1b[31mred\x1b[0m`,
		"\x1b]52;c;ZXZpbA==\x07": `\x1b]52;c;ZXZpbA==\x07`, // OSC 52 clipboard write
		"over\rwrite":            `over\rwrite`,
		"del\x7f":                `del\x7f`,
		"c1 \u009b31m":           `c1 \x9b31m`,
		"bidi \u202egnp.exe":     `bidi \u202egnp.exe`,
		"bad \xff utf8":          "bad \uFFFD utf8",
		"ünïcode ✓ stays":        "ünïcode ✓ stays",
		"nul\x00byte":            `nul\x00byte`,
	} {
		if got := Text(in); got != want {
			t.Errorf("Text(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLine(t *testing.T) {
	if got := Line("name\nok  fake line\t"); got != `name\nok  fake line\t` {
		t.Errorf("Line = %q", got)
	}
}

// FuzzText: the output never holds a control character other than \n and
// \t, is valid UTF-8, and Line's holds none at all.
func FuzzText(f *testing.F) {
	f.Add("\x1b]52;c;x\x07\n\u009b\xff")
	f.Fuzz(func(t *testing.T, s string) {
		for _, out := range []string{Text(s), Line(s)} {
			if !utf8.ValidString(out) {
				t.Fatalf("invalid UTF-8 from %q", s)
			}
			for _, r := range out {
				if dangerous(r) && !(r == '\n' || r == '\t') {
					t.Fatalf("control %U left in %q", r, out)
				}
			}
		}
		if strings.ContainsAny(Line(s), "\n\t") {
			t.Fatalf("Line kept layout: %q", Line(s))
		}
	})
}
