package cache

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mcpmend/mcpmend/internal/nodejson"
)

// FuzzNeedsAuth feeds arbitrary bytes to the needs-auth cache parser: it
// never panics, a parse error is a reason and never an empty result, and
// every parsed entry can be judged.
func FuzzNeedsAuth(f *testing.F) {
	f.Add([]byte(`{"srv":{"timestamp":1795709926237}}`))
	f.Add([]byte(`{"srv":{"timestamp":1795709926237,"ttlMs":14400000,"id":"x"},"b":{"timestamp":"x"},"c":null}`))
	f.Add([]byte(`{"srv":{"timestamp":1e400}}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(``))
	srv := claudeServer(f, "srv", `{"type":"http","url":"http://x/mcp"}`)
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := ParseNeedsAuth(data)
		if err != nil {
			if entries != nil || err.Error() == "" {
				t.Fatalf("error %v with entries %v", err, entries)
			}
			return
		}
		for _, e := range entries {
			active, until, why := e.Judge(srv, fixedNow)
			if why == "" || active && (until == nil || e.Problem != "") {
				t.Fatalf("entry %+v judged active=%v until=%v why=%q", e, active, until, why)
			}
		}
	})
}

// FuzzCredentials feeds arbitrary bytes to the credential store parser and
// judges every entry: no panic, and the records never quote a token.
func FuzzCredentials(f *testing.F) {
	f.Add([]byte(`{"mcpOAuth":{"srv|bc691705db4803af":{"serverName":"srv","accessToken":"","discoveryState":{"oauthMetadataFound":true,"tokenlessRejectedAt":1795709926230,"registrationNotOfferedAt":1795709926230}}}}`))
	f.Add([]byte(`{"mcpOAuth":{"srv|x":{"accessToken":"SECRETSECRET","refreshToken":"SECRETSECRET","expiresAt":"soon"}},"mcpOAuthClientConfig":{"srv|x":{"clientSecret":"SECRETSECRET"}}}`))
	f.Add([]byte(`{"mcpOAuth":"x"}`))
	f.Add([]byte(`{"mcpOAuth":{"srv|x":[1]}}`))
	srv := claudeServer(f, "srv", `{"type":"http","url":"http://x/mcp"}`)
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseCredentials(data)
		if err != nil {
			if c != nil || err.Error() == "" {
				t.Fatalf("error %v with result %+v", err, c)
			}
			return
		}
		current := map[string]bool{CredentialKey(srv): true}
		for k, e := range c.OAuth {
			e.Key = k
			for _, r := range entryRecords(func(key, kind string) Record { return Record{Key: key, Kind: kind} }, e, srv, fixedNow) {
				if strings.Contains(r.Detail, "SECRETSECRET") {
					t.Fatalf("token value in %q", r.Detail)
				}
				if r.Active && r.Until == nil && r.Kind != KindTokens {
					t.Fatalf("active gate without a lapse time: %+v", r)
				}
			}
		}
		for _, r := range credentialRecords(StoreCredentials, "f", c, srv, current, fixedNow) {
			if strings.Contains(r.Detail, "SECRETSECRET") {
				t.Fatalf("token value in %q", r.Detail)
			}
		}
	})
}

// FuzzJSQuote checks that jsQuote always yields a JSON string that decodes
// to its input (invalid bytes read as U+FFFD, as Node reads a file).
func FuzzJSQuote(f *testing.F) {
	for _, s := range []string{"", "ü1", "a\"b\\c", "\x00\x1f\x7f", "\u2028", "\xff\xfe", "🔑"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := nodejson.Quote(s)
		var back string
		if err := json.Unmarshal([]byte(q), &back); err != nil {
			t.Fatalf("jsQuote(%q) = %s is not JSON: %v", s, q, err)
		}
		var want strings.Builder
		for _, r := range s {
			want.WriteRune(r)
		}
		if back != want.String() || !utf8.ValidString(q) {
			t.Fatalf("jsQuote(%q) = %s decodes to %q", s, q, back)
		}
	})
}

// FuzzMCPRemoteArgs parses arbitrary mcp-remote command lines.
func FuzzMCPRemoteArgs(f *testing.F) {
	f.Add("https://a/mcp\x00--header\x00Authorization: Bearer x\x00--resource\x00https://a/")
	f.Add("--header\x00X:1\x00--authorize-param\x00=x")
	f.Add("--header-file")
	f.Fuzz(func(t *testing.T, joined string) {
		c := ParseMCPRemote(strings.Split(joined, "\x00"), nil)
		if c.Hash != "" && len(c.Hash) != 32 {
			t.Fatalf("hash %q", c.Hash)
		}
	})
}

// FuzzMCPLogLine feeds arbitrary lines to the MCP log reader.
func FuzzMCPLogLine(f *testing.F) {
	f.Add(`{"debug":"Skipping connection (cached needs-auth)","timestamp":"2026-11-26T16:18:50.282Z"}`)
	f.Add(`{"error":{"x":1},"timestamp":5}`)
	f.Fuzz(func(t *testing.T, line string) {
		r, ok := logRecord("f", line, nil)
		if ok && (r.Active || r.Resettable || len(r.Detail) > 400) {
			t.Fatalf("record %+v", r)
		}
	})
}
