package desktop

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/mcpmend/mcpmend/internal/localstorage"
)

// Match says how a Local Storage item relates to one server name.
type Match int

// How an item relates to a server name, weakest first.
const (
	// NoMatch: the item does not name the server.
	NoMatch Match = iota
	// ValueMention: the value names the server beside other data; reported,
	// never deleted.
	ValueMention
	// KeyOtherCase: the key names the server in another letter case; reported,
	// never deleted (server names are case-sensitive).
	KeyOtherCase
	// KeyNames: the key names the server as a whole name; the item is the
	// server's and a reset may delete it.
	KeyNames
)

// affixWords are words clients join to a server name with "-" or "_" when
// they build a storage key ("mcp-auth-github", "github_oauth_state"). Only
// these may sit next to the name across a weak separator: "github-tools"
// ("tools" is not one) is another server's name, never github's.
var affixWords = map[string]bool{
	"mcp": true, "auth": true, "oauth": true, "oauth2": true, "token": true,
	"tokens": true, "access": true, "refresh": true, "server": true,
	"connector": true, "client": true, "state": true, "cache": true,
	"config": true, "session": true, "credentials": true, "creds": true,
	"pkce": true, "verifier": true,
}

// NameMatcher finds the items that belong to, or mention, one server.
//
// Boundary rules, chosen from the shapes keys take ("mcp:github:auth",
// "mcp-auth-github", `{"server":"github"}`, "github.lastUsed"):
//   - A strong separator is any character that is not a letter, a digit,
//     "-" or "_". A name between strong separators (or the ends) is whole.
//   - "-" and "_" are weak: names use them too ("github-tools"). Across a
//     weak separator the neighbouring word must be a client affix (mcp,
//     auth, oauth, token, state, …), repeated as needed up to the next strong
//     separator; any other word makes it a different name.
//   - An occurrence inside a longer known server name that itself stands
//     whole (Others) belongs to that server, whatever its affixes.
//
// Keys are compared case-insensitively, but only an exact-case match makes an
// item the server's; values only ever mention a server (exact case).
type NameMatcher struct {
	name   string
	others []string // lowercased, longer known names containing name
	latin1 []byte   // name encoded as Chromium would store it in Latin-1 ("" if it cannot be)
	utf16  []byte   // name in UTF-16LE
	// lower is the name lowercased when that keeps byte offsets (lowerOK),
	// for Key; computed once, since Key runs for every candidate row.
	lower   string
	lowerOK bool
	// foldASCII is the name in ASCII lower case when it is all ASCII (nil
	// otherwise), for encodedKey's check of ASCII keys.
	foldASCII []byte
}

// NewNameMatcher returns a matcher for name. others are the other server
// names known on this machine; those that contain name disambiguate
// "github-mcp" (a server of its own) from github with an affix.
func NewNameMatcher(name string, others []string) *NameMatcher {
	lower := strings.ToLower(name)
	m := &NameMatcher{name: name}
	m.lower, m.lowerOK = lowerSameOffsets(name)
	if name != "" && isASCII([]byte(name)) {
		m.foldASCII = []byte(lower)
	}
	for _, o := range others {
		lo := strings.ToLower(o)
		if len(lo) > len(lower) && strings.Contains(lo, lower) {
			m.others = append(m.others, lo)
		}
	}
	if enc := localstorage.EncodeString(name); len(enc) > 0 && enc[0] == byte(localstorage.Latin1) {
		m.latin1 = enc[1:]
	}
	for _, c := range utf16.Encode([]rune(name)) {
		m.utf16 = append(m.utf16, byte(c), byte(c>>8))
	}
	return m
}

// Name is the server name matched.
func (m *NameMatcher) Name() string { return m.name }

// Key says whether an item key names the server: KeyNames, KeyOtherCase or
// NoMatch.
func (m *NameMatcher) Key(key string) Match {
	if m.name == "" {
		return NoMatch
	}
	best := NoMatch
	lk, okKey := lowerSameOffsets(key)
	ln := m.lower
	if !okKey || !m.lowerOK {
		// Case folding would move byte offsets (rare non-ASCII): compare exactly.
		lk, ln = key, m.name
	}
	for from := 0; ; {
		i := strings.Index(lk[from:], ln)
		if i < 0 {
			return best
		}
		i += from
		j := i + len(ln)
		if m.whole(lk, i, j) && !m.insideOther(lk, i, j) {
			if key[i:j] == m.name {
				return KeyNames
			}
			best = KeyOtherCase
		}
		from = i + 1
	}
}

// encodedKey is Key for an item key as stored (encoding byte first). A
// pure-ASCII Latin-1 key — nearly every key — is first searched for the name
// ignoring ASCII case, without decoding: for ASCII text Key's lowercasing is
// exactly ASCII case folding, and a name that is not all ASCII cannot occur
// in an ASCII key in any case, so a key that fails the search is NoMatch.
// Every other key is decoded and passed to Key.
func (m *NameMatcher) encodedKey(enc []byte) Match {
	if len(enc) > 0 && localstorage.StringEncoding(enc[0]) == localstorage.Latin1 && isASCII(enc[1:]) &&
		(m.foldASCII == nil || !containsFoldASCII(enc[1:], m.foldASCII)) {
		return NoMatch
	}
	s, _, ok := localstorage.DecodeString(enc)
	if !ok {
		return NoMatch
	}
	return m.Key(s)
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// containsFoldASCII reports whether s contains lower (ASCII lower case)
// ignoring ASCII case.
func containsFoldASCII(s, lower []byte) bool {
	for i := 0; i+len(lower) <= len(s); i++ {
		j := 0
		for j < len(lower) && foldASCII(s[i+j]) == lower[j] {
			j++
		}
		if j == len(lower) {
			return true
		}
	}
	return false
}

func foldASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// Value says whether an encoded value (as stored, encoding byte first)
// mentions the server. The byte search uses the value's own encoding, so a
// UTF-16 value (any emoji makes one) is found as surely as a Latin-1 one;
// only candidates are decoded.
func (m *NameMatcher) Value(encoded []byte) bool {
	if m.name == "" || len(encoded) == 0 {
		return false
	}
	var needle []byte
	switch localstorage.StringEncoding(encoded[0]) {
	case localstorage.Latin1:
		needle = m.latin1
	case localstorage.UTF16LE:
		needle = m.utf16
	}
	if len(needle) == 0 || !bytes.Contains(encoded[1:], needle) {
		return false
	}
	s, _, ok := localstorage.DecodeString(encoded)
	return ok && m.mentions(s)
}

// mentions reports an exact-case whole-name occurrence in s.
func (m *NameMatcher) mentions(s string) bool {
	for from := 0; ; {
		i := strings.Index(s[from:], m.name)
		if i < 0 {
			return false
		}
		i += from
		j := i + len(m.name)
		if m.whole(s, i, j) && !m.insideOther(lowerSameLen(s), i, j) {
			return true
		}
		from = i + 1
	}
}

// whole reports whether s[i:j] stands as a whole name under the rules above.
func (m *NameMatcher) whole(s string, i, j int) bool {
	return affixesOnly(s[:i], true) && affixesOnly(s[j:], false)
}

// affixesOnly checks the text beside a name occurrence, up to the nearest
// strong separator: it must be empty, or weak separators joining affix
// words. before says which side: the text runs up to the name (before) or
// away from it.
func affixesOnly(side string, before bool) bool {
	var run string
	if before {
		k := strings.LastIndexFunc(side, isStrong)
		run = side[k+1:]
		if k >= 0 {
			// LastIndexFunc returns the rune's start; skip the whole rune.
			_, size := utf8.DecodeRuneInString(side[k:])
			run = side[k+size:]
		}
	} else {
		k := strings.IndexFunc(side, isStrong)
		run = side
		if k >= 0 {
			run = side[:k]
		}
	}
	if run == "" {
		return true
	}
	// The run must touch the name through a weak separator.
	if before && !isWeak(run[len(run)-1]) || !before && !isWeak(run[0]) {
		return false
	}
	for _, w := range strings.FieldsFunc(run, func(r rune) bool { return r == '-' || r == '_' }) {
		if !affixWords[strings.ToLower(w)] {
			return false
		}
	}
	return true
}

// lowerSameLen lowercases s unless that would move byte offsets.
func lowerSameLen(s string) string {
	l, _ := lowerSameOffsets(s)
	return l
}

// lowerSameOffsets is strings.ToLower(s) when no rune's lower case has a
// different encoded length, so that every byte offset in the result is the
// same offset in s; otherwise it is s and false. Comparing the two strings'
// lengths is not enough: in "İ:ǅ:Ⱥ" the İ loses a byte (to i) and the Ⱥ
// gains one (to ⱥ), so the lengths agree while the name moved (found by
// FuzzNameMatcher).
func lowerSameOffsets(s string) (string, bool) {
	for _, r := range s {
		if lr := unicode.ToLower(r); lr != r && utf8.RuneLen(lr) != utf8.RuneLen(r) {
			return s, false
		}
	}
	if !utf8.ValidString(s) {
		return s, false // ToLower would turn each invalid byte into three
	}
	return strings.ToLower(s), true
}

func isWeak(c byte) bool { return c == '-' || c == '_' }

// isStrong reports a strong separator: anything but letters, digits, - and _.
func isStrong(r rune) bool {
	return !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_')
}

// insideOther reports whether s[i:j] (s lowercased) lies inside a whole
// occurrence of a longer known server name.
func (m *NameMatcher) insideOther(ls string, i, j int) bool {
	for _, o := range m.others {
		for from := max(0, j-len(o)); from <= i && from < len(ls); {
			k := strings.Index(ls[from:], o)
			if k < 0 {
				break
			}
			k += from
			if k > i {
				break
			}
			if k+len(o) >= j && m.whole(ls, k, k+len(o)) {
				return true
			}
			from = k + 1
		}
	}
	return false
}

// Classify is m as the Local Storage scan's row classifier: the Match of a
// row as an int, 0 (NoMatch) for rows that do not name the server. A nil m
// classifies nothing (the scan only reads and validates).
func (m *NameMatcher) Classify() localstorage.Classify {
	if m == nil {
		return nil
	}
	return func(encKey, value []byte) int {
		// Matching works on the stored bytes and decodes only candidates:
		// most rows are decided without an allocation.
		match := m.encodedKey(encKey)
		if match == NoMatch && m.Value(value) {
			match = ValueMention
		}
		return int(match)
	}
}

// resettable reports whether a reset may delete the item: only when its key
// names the server exactly.
func resettable(h localstorage.Hit) bool { return Match(h.Class) == KeyNames }
