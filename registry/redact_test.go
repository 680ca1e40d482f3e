package registry

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"testing"
)

func TestRedactURL(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", ""},
		{"https://example.com/mcp", "https://example.com/mcp"},
		{"https://user:CANARY-pw@example.com/mcp", "https://[redacted]@example.com/mcp"},
		{"https://CANARY-user@example.com/mcp", "https://[redacted]@example.com/mcp"},
		{"https://example.com/mcp?token=CANARY-t&team=core", "https://example.com/mcp?team=core&token=[redacted]"},
		{"https://example.com/mcp?api_key=CANARY-a&apiKey=CANARY-b&sig=CANARY-c&x=1", "https://example.com/mcp?apiKey=[redacted]&api_key=[redacted]&sig=[redacted]&x=1"},
		{"https://example.com/mcp#access_token=CANARY-f", "https://example.com/mcp#[redacted]"},
		{"http://127.0.0.1:8080/sse", "http://127.0.0.1:8080/sse"},
		{"wss://ws.example.com/x?session=CANARY-s", "wss://ws.example.com/x?session=[redacted]"},
		// Keys in the path, as some hosted MCP URLs carry them.
		{"https://actions.example.com/mcp/sk-ak-CANARYabcdef0123/sse", "https://actions.example.com/mcp/[redacted]/sse"},
		{"https://mcp.example.com/u/CANARYabcdefghijklmnopqrstuvwxyz0123/mcp", "https://mcp.example.com/u/[redacted]/mcp"},
		// Not a URL Go parses: still no credentials or query.
		{"http://us er:CANARY-pw@host/p?token=CANARY-q", "http://[redacted]@host/p"},
		{"%zz://CANARY-x", "%zz://CANARY-x"[:0] + "%zz://CANARY-x"},
	}
	for _, c := range cases[:len(cases)-1] {
		if got := RedactURL(c.in); got != c.want {
			t.Errorf("RedactURL(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestRedactArgs(t *testing.T) {
	cases := []struct{ in, want []string }{
		{nil, []string{}},
		{[]string{"-y", "@modelcontextprotocol/server-everything"}, []string{"-y", "@modelcontextprotocol/server-everything"}},
		{[]string{"--api-key", "CANARY-1", "--port", "3000"}, []string{"--api-key", "[redacted]", "--port", "3000"}},
		{[]string{"--token=CANARY-2"}, []string{"--token=[redacted]"}},
		{[]string{"--header", "Authorization: Bearer CANARY-3"}, []string{"--header", "Authorization: [redacted]"}},
		{[]string{"-H", "X-Api-Key:CANARY-4"}, []string{"-H", "X-Api-Key: [redacted]"}},
		{[]string{"--header=Authorization: Bearer CANARY-5"}, []string{"--header=Authorization: [redacted]"}},
		{[]string{"mcp-remote", "https://u:CANARY-6@h.example.com/sse?token=CANARY-7"}, []string{"mcp-remote", "https://[redacted]@h.example.com/sse?token=[redacted]"}},
		{[]string{"--url=https://u:CANARY-8@h.example.com/sse"}, []string{"--url=https://[redacted]@h.example.com/sse"}},
		{[]string{"--url", "https://h.example.com/sse?key=CANARY-9"}, []string{"--url", "https://h.example.com/sse?key=[redacted]"}},
		{[]string{"run", "-e", "API_KEY=CANARY-10", "-e", "DEBUG=1", "img"}, []string{"run", "-e", "API_KEY=[redacted]", "-e", "DEBUG=1", "img"}},
		{[]string{"ghp_CANARY1234567890abcdef"}, []string{"[redacted]"}},
		{[]string{"--password", "CANARY-11"}, []string{"--password", "[redacted]"}},
		{[]string{"--verbose", "-1", "server.js"}, []string{"--verbose", "-1", "server.js"}},
	}
	for _, c := range cases {
		got := RedactArgs(c.in)
		if strings.Join(got, "\x00") != strings.Join(c.want, "\x00") || len(got) != len(c.in) {
			t.Errorf("RedactArgs(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestRedactText(t *testing.T) {
	cases := []struct{ in, want string }{
		{"connection refused", "connection refused"},
		{"401: Authorization: Bearer CANARYabc.def", "401: Authorization: Bearer [redacted]"},
		{"basic CANARYdXNlcjpwYXNz", "Basic [redacted]"},
		{"Authorization: Basic YTpi", "Authorization: Basic [redacted]"},
		{"auth Basic dXNlcjpwYXNz== ok", "auth Basic [redacted] ok"},
		{"Testing basic HTTP connectivity", "Testing basic HTTP connectivity"},
		{"uses basic authentication, see the docs", "uses basic authentication, see the docs"},
		{"basic auth failed for CANARYabcdefghijklmnopqrstuvwxyz0123456789", "basic auth failed for [redacted]"},
		{"key sk-proj-CANARY123456789 rejected", "key [redacted] rejected"},
		{"slack xoxb-CANARY-1234-5678 bad", "slack [redacted] bad"},
		{"aws AKIACANARY1234567890 bad", "aws [redacted] bad"},
		{"opaque CANARYabcdefghijklmnopqrstuvwxyz0123456789 end", "opaque [redacted] end"},
		{"invalid api_key=CANARY-12 given", "invalid api_key=[redacted] given"},
		{`{"token": "CANARY-13", "user": "bob"}`, `{"token": "[redacted]", "user": "bob"}`},
		{"PASSWORD: CANARY-14", "PASSWORD: [redacted]"},
		{"a short id abc123 and version 1.2.3", "a short id abc123 and version 1.2.3"},
		{"see https://docs.example.com/auth for help", "see https://docs.example.com/auth for help"},
	}
	for _, c := range cases {
		if got := RedactText(c.in); got != c.want {
			t.Errorf("RedactText(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestIsSecretName(t *testing.T) {
	for name, want := range map[string]bool{
		"token": true, "GITHUB_TOKEN": true, "x-api-key": true, "ApiKey": true, "password": true, "DB_PWD": true,
		"Authorization": true, "client_secret": true, "Cookie": true, "X-Signature": true, "sig": true, "private_key": true,
		"SESSION": true, "credentials": true, "port": false, "team": false, "DEBUG": false, "url": false, "host": false,
	} {
		if got := IsSecretName(name); got != want {
			t.Errorf("IsSecretName(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestSecretForms checks every way a Secret can be printed.
func TestSecretForms(t *testing.T) {
	s := Secret("CANARY-secret-value")
	if s.Reveal() != "CANARY-secret-value" {
		t.Fatalf("Reveal = %q", s.Reveal())
	}
	type holder struct {
		S  Secret
		P  *Secret
		L  []Secret
		E  EnvVar
		H  Header
		R  Raw
		Sv Server
	}
	h := holder{S: s, P: &s, L: []Secret{s}, E: EnvVar{"K", s}, H: Header{"Authorization", s},
		R:  Raw{URL: s, Args: []Secret{s}, Env: []EnvVar{{"K", s}}, Headers: []Header{{"H", s}}, HeadersHelper: s, Entry: `{"k":"CANARY-secret-value"}`},
		Sv: Server{Name: "n", Raw: Raw{URL: s, Entry: "CANARY-secret-value"}}}
	js, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	for _, mk := range []func() slog.Handler{
		func() slog.Handler { return slog.NewTextHandler(&logged, nil) },
		func() slog.Handler { return slog.NewJSONHandler(&logged, nil) },
	} {
		slog.New(mk()).Info("msg", "secret", s, "env", h.E.Value, "server", h.Sv)
	}
	forms := map[string]string{
		"json": string(js), "slog": logged.String(),
		"%v": fmt.Sprintf("%v", h), "%+v": fmt.Sprintf("%+v", h), "%#v": fmt.Sprintf("%#v", h), "%s": fmt.Sprintf("<%s>", s),
		"%q": fmt.Sprintf("%q", s), "%x": fmt.Sprintf("%x", s), "Println": fmt.Sprintln(s, &s, []Secret{s}),
		"error": fmt.Errorf("dial with %v: %w", s, fmt.Errorf("x")).Error(),
	}
	for form, out := range forms {
		if strings.Contains(out, "CANARY") {
			t.Errorf("%s leaks the secret: %s", form, out)
		}
		if !strings.Contains(out, Redacted) && form != "%x" {
			t.Errorf("%s shows no placeholder: %s", form, out)
		}
	}
	if string(js) == "" || !strings.Contains(string(js), `"S":"[redacted]"`) {
		t.Errorf("JSON form = %s", js)
	}
}

// TestRawSecrets checks that Secrets lists every value Scrub must remove,
// and that Scrub removes them.
func TestRawSecrets(t *testing.T) {
	r := Raw{
		URL:     "https://u:CANARY-pw@h.example.com/mcp?token=CANARY-q&x=1",
		Args:    []Secret{"--api-key", "CANARY-arg", "--port", "1"},
		Env:     []EnvVar{{"API_KEY", "CANARY-env"}},
		Headers: []Header{{"Authorization", "Bearer CANARY-tok"}},
	}
	text := "failed: u:CANARY-pw CANARY-pw CANARY-q CANARY-arg CANARY-env Bearer CANARY-tok CANARY-tok port 1"
	got := Scrub(text, r.Secrets()...)
	if strings.Contains(got, "CANARY") {
		t.Errorf("Scrub left a secret: %s", got)
	}
	if !strings.Contains(got, "port 1") {
		t.Errorf("Scrub removed non-secrets: %s", got)
	}
}

// TestScrubQuotedSecrets: a secret with a quote, a backslash, a control
// character or an HTML-escaped byte is removed from text that quotes it as
// Go's %q, strconv.Quote, slog's text handler or JSON would, as well as
// from plain text.
func TestScrubQuotedSecrets(t *testing.T) {
	for _, secret := range []string{`quo"tedCANARY123`, `back\slashCANARY123`, "tab\tCANARY123", "a<b>&CANARY123", "plainCANARY123"} {
		var logged strings.Builder
		slog.New(slog.NewTextHandler(&logged, nil)).Info("m", "why", "got "+secret)
		asJSON, _ := json.Marshal(map[string]string{"why": secret})
		for _, text := range []string{
			"plain " + secret,
			fmt.Sprintf("malformed HTTP response %q", secret),
			strconv.Quote(secret),
			logged.String(),
			string(asJSON),
		} {
			if got := Scrub(text, Secret(secret)); strings.Contains(got, "CANARY") {
				t.Errorf("Scrub(%q) left the secret %q: %s", text, secret, got)
			}
		}
	}
	if got := Scrub(`say "hi" \ <ok>`, Secret(`x"y\z<`)); got != `say "hi" \ <ok>` {
		t.Errorf("Scrub changed text without the secret: %s", got)
	}
}

// TestRedactValuesNotWords: the working directory and other plain settings
// stay readable; a word inside a name is not a secret, a whole word is.
func TestRedactValuesNotWords(t *testing.T) {
	for name, want := range map[string]bool{
		"PWD": false, "OLDPWD": false, "HOME": false, "PATH": false, "npm_config_cache": false, "npm_config_prefix": false,
		"DESIGN_DIR": false, "SIGNAL": false, "DB_PWD": true, "dbPwd": true, "X-Sig": true, "SMTP_PASS": true,
		"npm_config__authToken": true, "MYSQL_PASSWD": true,
	} {
		if got := IsSecretName(name); got != want {
			t.Errorf("IsSecretName(%q) = %v, want %v", name, got, want)
		}
	}
	for in, want := range map[string]string{
		"Error: Cannot access directory PWD=/home/u/proj": "Error: Cannot access directory PWD=/home/u/proj",
		"OLDPWD=/tmp/x":                "OLDPWD=/tmp/x",
		"DB_PWD=hunter2hunter2 failed": "DB_PWD=[redacted] failed",
	} {
		if got := RedactText(in); got != want {
			t.Errorf("RedactText(%q) = %q, want %q", in, got, want)
		}
	}
	r := Raw{Env: []EnvVar{{"npm_config_cache", "/home/u/.npm"}, {"PORT", "8080"}, {"MODE", "production"},
		{"GITHUB_TOKEN", "CANARY-a"}, {"UPSTREAM", "CANARY0value1x2"}},
		Headers: []Header{{"X-Region", "eu-west-1"}, {"X-Custom", "CANARY9k2j4h5g6f"}, {"Authorization", "Bearer CANARY-b"}}}
	text := "cache /home/u/.npm port 8080 production region eu-west-1 CANARY-a CANARY0value1x2 CANARY9k2j4h5g6f CANARY-b"
	got := Scrub(text, r.Secrets()...)
	if strings.Contains(got, "CANARY") {
		t.Errorf("Scrub left a secret: %s", got)
	}
	if strings.Contains(got, "eu-west-1") {
		t.Errorf("Scrub kept a header value: %s", got)
	}
	for _, plain := range []string{"/home/u/.npm", "8080", "production"} {
		if !strings.Contains(got, plain) {
			t.Errorf("Scrub hid the plain value %q: %s", plain, got)
		}
	}
	for v, want := range map[string]bool{"/usr/local/bin": false, "production": false, "8080": false, "https://x.example/mcp": false,
		"ghp_abcdefghijklmnop": true, "a1b2c3d4e5f6g7h8": true, "Bearer abc": true} {
		if got := LooksLikeCredential(v); got != want {
			t.Errorf("LooksLikeCredential(%q) = %v, want %v", v, got, want)
		}
	}
}

// TestLongDirectoryNamesStayReadable: a long directory name in a path is
// not a token; the same string alone, in a URL's path or after a known
// key prefix still is.
func TestLongDirectoryNamesStayReadable(t *testing.T) {
	const dir = "TestProbeWhatClaudeCodeSees3425087282"
	for in, want := range map[string]string{
		"Warning: Cannot access directory /tmp/" + dir + "/001/no-such-dir, skipping": "Warning: Cannot access directory /tmp/" + dir + "/001/no-such-dir, skipping",
		`C:\Users\u\` + dir + `\x`: `C:\Users\u\` + dir + `\x`,
		"token " + dir:             "token [redacted]",
		"GET https://mcp.example/" + dir + "/sse failed":   "GET https://mcp.example/[redacted]/sse failed",
		"/home/u/ghp_abcdefghijklmnopqrstuvwxyz0123456789": "/home/u/[redacted]",
	} {
		if got := RedactText(in); got != want {
			t.Errorf("RedactText(%q) = %q, want %q", in, got, want)
		}
	}
	if got := RedactURL("https://mcp.example/" + dir + "/sse"); got != "https://mcp.example/[redacted]/sse" {
		t.Errorf("RedactURL kept a key in the path: %s", got)
	}
	if got := RedactArgs([]string{"/tmp/" + dir + "/no-such-dir"}); got[0] != "/tmp/"+dir+"/no-such-dir" {
		t.Errorf("RedactArgs hid a directory: %v", got)
	}
}
