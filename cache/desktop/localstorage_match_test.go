package desktop

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mcpmend/mcpmend/internal/localstorage"
)

func TestNameMatcherKey(t *testing.T) {
	others := []string{"github-tools", "github-mcp", "slack"}
	tests := []struct {
		name, key string
		others    []string
		want      Match
	}{
		{"github", "github", others, KeyNames},
		{"github", "mcp:github:auth", others, KeyNames},
		{"github", "mcp-auth-github", others, KeyNames},
		{"github", "mcp_github_oauth_state", others, KeyNames},
		{"github", `{"server":"github","kind":"oauth-state"}`, others, KeyNames},
		{"github", "github.lastUsed", others, KeyNames},
		{"github", "mcp/github", others, KeyNames},
		{"github", "mcp:github-tools:auth;mcp:github:auth", others, KeyNames},
		{"github", "github-tools", others, NoMatch},
		{"github", "mcp:github-tools:auth", others, NoMatch},
		{"github", "github-tools.lastUsed", others, NoMatch},
		{"github", "mcp-github-tools", others, NoMatch},
		{"github", "mcp-auth-github-tools", others, NoMatch},
		// github-mcp is a server of its own here, so "-mcp" is not an affix.
		{"github", "github-mcp:auth", others, NoMatch},
		{"github", "github-mcp:auth", nil, KeyNames},
		{"github", "my-github", others, NoMatch},
		{"github", "githubToken", others, NoMatch},
		{"github", "notgithub", others, NoMatch},
		{"github", "github2", others, NoMatch},
		{"github", "GitHub:display", others, KeyOtherCase},
		{"github", "MCP-AUTH-GITHUB", others, KeyOtherCase},
		{"github", "", others, NoMatch},
		{"github-tools", "mcp:github-tools:auth", others, KeyNames},
		{"github-tools", "github-tools.lastUsed", others, KeyNames},
		{"github-tools", "mcp:github:auth", others, NoMatch},
		{"My Server", "mcp:My Server:auth", nil, KeyNames},
		{"café", "mcp:café", nil, KeyNames},
		{"", "anything", nil, NoMatch},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/"+tt.key, func(t *testing.T) {
			if got := NewNameMatcher(tt.name, tt.others).Key(tt.key); got != tt.want {
				t.Fatalf("Key(%q) for %q = %v, want %v", tt.key, tt.name, got, tt.want)
			}
		})
	}
}

// TestEncodedKeyAgreesWithKey: the scan's check of stored key bytes decides
// exactly as Key on the decoded key, for ASCII, Latin-1 and UTF-16 keys and
// names in any letter case.
func TestEncodedKeyAgreesWithKey(t *testing.T) {
	keys := []string{"mcp:github:auth", "MCP:GITHUB:AUTH", "mcp:GitHub:x", "github-tools", "githubtoken",
		"mcp:zed:auth", "mcp:ZED:auth", "Zed", "café:x", "CAFÉ:x", "mcp:名前", "mcp:github:🐙", "K", "\u212aelvin", ""}
	for _, name := range []string{"github", "GitHub", "zed", "ZED", "café", "名前", "kelvin", ""} {
		m := NewNameMatcher(name, []string{"github-tools"})
		for _, key := range keys {
			for _, enc := range [][]byte{localstorage.EncodeString(key), localstorage.EncodeString(key + "✓")} {
				dec, _, _ := localstorage.DecodeString(enc)
				if got, want := m.encodedKey(enc), m.Key(dec); got != want {
					t.Errorf("name %q: encodedKey(%q, %v) = %v, Key = %v", name, dec, localstorage.StringEncoding(enc[0]), got, want)
				}
			}
		}
	}
	for _, b := range [][]byte{nil, {0}, {0, 'a'}, {0, 'a', 0}, {1}, {1, 0xe9}, {2, 'a'}} {
		if _, _, ok := localstorage.DecodeString(b); localstorage.Decodable(b) != ok {
			t.Errorf("localstorage.Decodable(% x) = %v, DecodeString ok = %v", b, localstorage.Decodable(b), ok)
		}
	}
	if m := NewNameMatcher("github", nil); m.encodedKey(nil) != NoMatch || m.encodedKey([]byte{0, 'g'}) != NoMatch || m.encodedKey([]byte{7, 'g'}) != NoMatch {
		t.Error("undecodable keys match")
	}
}

func TestNameMatcherValue(t *testing.T) {
	m := NewNameMatcher("github", []string{"github-tools"})
	tests := []struct {
		name string
		enc  []byte
		want bool
	}{
		{"latin1 json", localstorage.EncodeString(`{"servers":["github","slack"],"max":5}`), true},
		{"utf16 json (emoji)", localstorage.EncodeString(`{"pinned":["github","github-tools"],"icon":"🚀"}`), true},
		{"only another server", localstorage.EncodeString(`{"pinned":["github-tools"],"icon":"🚀"}`), false},
		{"latin1 text", localstorage.EncodeString("café github"), true},
		{"different case", localstorage.EncodeString(`["GitHub"]`), false},
		{"inside a word", localstorage.EncodeString("githubber"), false},
		// The UTF-16LE bytes of "github" at an odd offset are other characters.
		{"misaligned utf16", append([]byte{0, 0x41}, utf16Bytes("github")[:11]...), false},
		{"empty", nil, false},
		{"bad encoding", []byte{7, 'g', 'i', 't', 'h', 'u', 'b'}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := m.Value(tt.enc); got != tt.want {
				t.Fatalf("Value(% x) = %v, want %v", tt.enc, got, tt.want)
			}
		})
	}
}

func utf16Bytes(s string) []byte { return localstorage.EncodeString(s + "✓")[1 : 1+2*len(s)] }

func TestPreviewNeverShowsTokens(t *testing.T) {
	tests := []struct {
		key, value, want string
	}{
		{"mcp:github:auth", `{"access_token":"CANARY-1","token_type":"Bearer","expires_at":1893456000}`, `{"access_token":"[redacted]","token_type":"[redacted]","expires_at":"[redacted]"}`},
		{"mcp-auth-github", "CANARY-2", "[redacted]"},
		{"prefs", `{"label":"GitHub 🐙","id":"CANARY-3-LONGER-THAN-12","n":[1,true,null]}`, `{"label":"GitHub 🐙","id":"[redacted]","n":[1,true,null]}`},
		{"prefs", `{"refresh_token":{"v":"CANARY-4"}}`, `{"refresh_token":{"v":"[redacted]"}}`},
		{"note", "café au lait", "café au lait"},
		{"note", "CANARY-5-NO-SPACES", "[redacted]"},
		{"note", "ghp_CANARY6abcdefghij and more", "[redacted] and more"},
		{"endpoint", "https://u:CANARY-7@example.com/x?token=CANARY-8", "https://[redacted]@example.com/x?token=[redacted]"},
		{"empty", "", `""`},
	}
	for _, tt := range tests {
		got := Preview(tt.key, tt.value)
		if got != tt.want {
			t.Errorf("Preview(%q, %q) = %q, want %q", tt.key, tt.value, got, tt.want)
		}
		if strings.Contains(got, "CANARY") {
			t.Errorf("Preview leaked a canary: %q", got)
		}
	}
	if got := Preview("note", strings.Repeat("word ", 40)); len([]rune(got)) != previewRunes+1 || !strings.HasSuffix(got, "…") {
		t.Errorf("long preview not cut: %q", got)
	}
}

func FuzzNameMatcher(f *testing.F) {
	f.Add("github", "mcp", "auth")
	f.Add("github", "github-tools", "x")
	f.Add("My Server", `{"a":"`, `"}`)
	f.Add("ǅ", "İ", "ẞ")
	f.Add("kelvin", "\u212a", "X")
	f.Add("GitHub", "mcp:", ":AUTH")
	f.Fuzz(func(t *testing.T, name, prefix, suffix string) {
		m := NewNameMatcher(name, []string{prefix, suffix, name + "-tools"})
		// The scan's byte-level key check decides exactly as Key on the
		// decoded key, in either encoding.
		for _, key := range []string{prefix + name + suffix, strings.ToUpper(prefix + name + suffix), prefix + suffix} {
			for _, enc := range [][]byte{localstorage.EncodeString(key), localstorage.EncodeString(key + "✓")} {
				dec, _, _ := localstorage.DecodeString(enc)
				if got, want := m.encodedKey(enc), m.Key(dec); got != want {
					t.Fatalf("encodedKey(% x) = %v, Key(%q) = %v", enc, got, dec, want)
				}
			}
		}
		m.Value(localstorage.EncodeString(prefix + name + suffix))
		if name == "" || !utf8.ValidString(prefix) || !utf8.ValidString(name) || !utf8.ValidString(suffix) {
			return // decoded keys and values are always valid UTF-8
		}
		// A name between strong separators is always the server's, whatever
		// surrounds it, when no longer known name claims it.
		plain := NewNameMatcher(name, nil)
		if got := plain.Key(prefix + ":" + name + ":" + suffix); got != KeyNames {
			t.Fatalf("Key(%q) for %q = %v, want KeyNames", prefix+":"+name+":"+suffix, name, got)
		}
		if !plain.Value(localstorage.EncodeString(prefix + "\n" + name + "\n" + suffix)) {
			t.Fatalf("Value misses %q in %q", name, prefix+"\n"+name+"\n"+suffix)
		}
	})
}

func FuzzPreview(f *testing.F) {
	f.Add("mcp:github:auth", "CANARY-1", "tok3n-value")
	f.Add("prefs", `{"a":[1,{"b":"c"}]}`, "sekrit")
	f.Add("note", "café 🐙", "x\"y\\z")
	f.Fuzz(func(t *testing.T, key, value, secret string) {
		if got := Preview(key, value); utf8.ValidString(value) && !utf8.ValidString(got) {
			t.Fatalf("Preview(%q, %q) = %q is not UTF-8", key, value, got)
		}
		// A secret-named field's value never shows, however it is written.
		if len(secret) < 6 || !utf8.ValidString(secret) || strings.Contains(`{"access_token":"[redacted]","n":1}`+"…", secret) {
			return
		}
		doc, _ := json.Marshal(map[string]any{"access_token": secret, "n": 1})
		if got := Preview("prefs", string(doc)); strings.Contains(got, secret) {
			t.Fatalf("Preview leaked %q: %q", secret, got)
		}
	})
}
