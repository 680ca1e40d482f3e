package credentials

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcpmend/mcpmend/cache/internal/storetest"
	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/internal/keychain"
	"github.com/mcpmend/mcpmend/internal/nodejson"
	"github.com/mcpmend/mcpmend/internal/testfs"
	"github.com/mcpmend/mcpmend/registry"
)

// The keys from the facts doc, each re-checked against the real CLI 2.1.328
// (claude mcp add-json + claude mcp list against a 401 server on port 4133).
// The doc gives ssesrv|f47d0dcead690994 for the sse example; the real CLI
// writes ssesrv|b8d8afde3d6d8d72 for exactly that configuration, which is
// also sha256 of the JSON shown, so the doc's value is a typo.
func TestCredentialKeyGolden(t *testing.T) {
	tests := []struct{ name, entry, json, key string }{
		{"fakeauth", `{"type":"http","url":"http://127.0.0.1:4131/mcp"}`,
			`{"type":"http","url":"http://127.0.0.1:4131/mcp","headers":{}}`, "fakeauth|78d8e2894fc42213"},
		{"hdr", `{"type":"http","url":"http://127.0.0.1:4133/mcp","headers":{"X-B":"2","X-A":"ü1"}}`,
			`{"type":"http","url":"http://127.0.0.1:4133/mcp","headers":{"X-B":"2","X-A":"ü1"}}`, "hdr|986d06b0e7f0f0bc"},
		{"ssesrv", `{"type":"sse","url":"http://127.0.0.1:4133/mcp","headers":{"X-B":"2","X-A":"ü1"}}`,
			`{"type":"sse","url":"http://127.0.0.1:4133/mcp","headers":{"X-B":"2","X-A":"ü1"}}`, "ssesrv|b8d8afde3d6d8d72"},
		// streamable-http is normalised before hashing
		{"fakeauth", `{"type":"streamable-http","url":"http://127.0.0.1:4131/mcp"}`,
			`{"type":"http","url":"http://127.0.0.1:4131/mcp","headers":{}}`, "fakeauth|78d8e2894fc42213"},
	}
	for _, tt := range tests {
		srv := storetest.ClaudeServer(t, tt.name, tt.entry)
		if got := KeyJSON(srv); got != tt.json {
			t.Errorf("%s: key JSON = %s, want %s", tt.name, got, tt.json)
		}
		if got := Key(srv); got != tt.key {
			t.Errorf("%s: key = %s, want %s", tt.name, got, tt.key)
		}
	}
}

// TestCredentialKeyMatchesNode checks the corners of JSON.parse and
// JSON.stringify (repeated and numeric header names, control characters,
// quotes, non-UTF-8 bytes, U+2028) against real Node, which is what Claude
// Code runs on.
func TestCredentialKeyMatchesNode(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	entries := []string{
		`{"type":"http","url":"https://a.example/mcp?x=1&y=<b>","headers":{"X-A":"1","X-B":"2","X-A":"3"}}`,
		`{"type":"http","url":"https://a.example/mcp","headers":{"X-Z":"z","42":"n","7":"s","007":"o","4294967295":"big"}}`,
		`{"type":"sse","url":"https://a.example/sse","headers":{"Authorization":"Bearer \"q\" \\ \u0001\u001f\t\n\u007f \u2028 é 🔑"}}`,
		`{"type":"http","url":"https://a.example/m\u00e9","headers":{}}`,
		"{\"type\":\"http\",\"url\":\"https://a.example/\xff\xfe\",\"headers\":{\"X\":\"\xc3\"}}",
	}
	script := `const fs=require("fs"),c=require("crypto");
for (const line of fs.readFileSync(0,"utf8").split("\n")) { if(!line) continue;
  const r=JSON.parse(line); const j=JSON.stringify({type:r.type,url:r.url,headers:r.headers||{}});
  console.log(c.createHash("sha256").update(j).digest("hex").substring(0,16)); }`
	var in strings.Builder
	for _, e := range entries {
		in.WriteString(e + "\n")
	}
	cmd := exec.Command(node, "-e", script)
	cmd.Stdin = strings.NewReader(in.String())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	want := strings.Fields(string(out))
	if len(want) != len(entries) {
		t.Fatalf("node printed %d hashes for %d entries: %s", len(want), len(entries), out)
	}
	for i, e := range entries {
		srv := storetest.ClaudeServer(t, "s", e)
		if got := Key(srv); got != "s|"+want[i] {
			t.Errorf("entry %d %q: key %s, Node says s|%s (our JSON %s)", i, e, got, want[i], KeyJSON(srv))
		}
	}
}

// credFile writes .credentials.json with one mcpOAuth entry for srv.
func credFile(t *testing.T, home, key, entry string) string {
	t.Helper()
	path := filepath.Join(home, ".claude", ".credentials.json")
	testfs.WriteFile(t, path, `{"claudeAiOauth":{"accessToken":"CANARY-ai"},"mcpOAuth":{`+nodejson.Quote(key)+`:`+entry+`}}`)
	return path
}

func TestCredentialsGates(t *testing.T) {
	const plain = `{"type":"http","url":"http://127.0.0.1:4131/mcp"}`
	disc := func(extra string) string {
		return `{"serverName":"srv","serverUrl":"http://127.0.0.1:4131/mcp","accessToken":""` + extra + `}`
	}
	ds := func(found bool, stamps string) string {
		return fmt.Sprintf(`,"discoveryState":{"authorizationServerUrl":"http://127.0.0.1:4131","oauthMetadataFound":%v%s}`, found, stamps)
	}
	tokB := func(d time.Duration) string { return fmt.Sprintf(`,"tokenlessRejectedAt":%d`, storetest.MsAgo(d)) }
	regC := func(d time.Duration) string { return fmt.Sprintf(`,"registrationNotOfferedAt":%d`, storetest.MsAgo(d)) }
	day := 24 * time.Hour
	type want struct {
		kind   string
		active bool
		detail string
	}
	tests := []struct {
		name, cfg, entry string
		want             []want
	}{
		{"B fresh", plain, disc(ds(true, tokB(time.Hour))), []want{{store.KindTokenlessRejection, true, "skips the server"}}},
		{"B at 7 days still blocks", plain, disc(ds(true, tokB(7*day))), []want{{store.KindTokenlessRejection, true, ""}}},
		{"B past 7 days", plain, disc(ds(true, tokB(7*day+time.Millisecond))), []want{{store.KindTokenlessRejection, false, "lapsed"}}},
		{"B needs oauthMetadataFound", plain, disc(ds(false, tokB(time.Hour))), []want{{store.KindTokenlessRejection, false, "oauthMetadataFound"}}},
		{"B not with headers", `{"type":"http","url":"http://127.0.0.1:4131/mcp","headers":{"X":"1"}}`, disc(ds(true, tokB(time.Hour))),
			[]want{{store.KindTokenlessRejection, false, "sends headers"}}},
		{"B not with headersHelper", `{"type":"http","url":"http://127.0.0.1:4131/mcp","headersHelper":"x"}`, disc(ds(true, tokB(time.Hour))),
			[]want{{store.KindTokenlessRejection, false, "sends headers"}}},
		{"B not when a refresh token is stored", plain, disc(`,"refreshToken":"CANARY-r"` + ds(true, tokB(time.Hour))),
			[]want{{KindTokens, true, "refresh token present"}, {store.KindTokenlessRejection, false, "holds a token"}}},
		{"B future beyond skew", plain, disc(ds(true, tokB(-2*time.Minute))), []want{{store.KindTokenlessRejection, false, "future"}}},
		{"B null stamp", plain, disc(ds(true, `,"tokenlessRejectedAt":null`)), []want{{store.KindTokenlessRejection, false, "not a number"}}},
		{"C fresh", plain, disc(ds(true, regC(29*day))), []want{{store.KindRegistrationNotOffered, true, "skips the server"}}},
		{"C past 30 days", plain, disc(ds(true, regC(30*day+time.Second))), []want{{store.KindRegistrationNotOffered, false, "lapsed"}}},
		{"C not with a configured clientId", `{"type":"http","url":"http://127.0.0.1:4131/mcp","oauth":{"clientId":"abc"}}`, disc(ds(true, regC(day))),
			[]want{{store.KindRegistrationNotOffered, false, "oauth.clientId"}}},
		{"C not with a stored clientId", plain, disc(`,"clientId":"abc"` + ds(true, regC(day))),
			[]want{{store.KindRegistrationNotOffered, false, "registered clientId"}}},
		{"B and C together", plain, disc(ds(true, tokB(time.Minute)+regC(time.Minute))),
			[]want{{store.KindTokenlessRejection, true, ""}, {store.KindRegistrationNotOffered, true, ""}}},
		{"discovery only", plain, disc(ds(true, "")), []want{{KindOAuthDiscovery, false, "blocks nothing"}}},
		{"expired token, no refresh", plain, `{"serverName":"srv","accessToken":"CANARY-a","expiresAt":` + fmt.Sprint(storetest.MsAgo(time.Minute)) + `}`,
			[]want{{KindTokens, false, "expired"}}},
		{"valid token", plain, `{"serverName":"srv","accessToken":"CANARY-a","expiresAt":` + fmt.Sprint(storetest.MsAgo(-time.Hour)) + `}`,
			[]want{{KindTokens, true, "valid until"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			home := t.TempDir()
			srv := storetest.ClaudeServer(t, "srv", tt.cfg)
			credFile(t, home, Key(srv), tt.entry)
			recs, err := Store{}.Inspect(context.Background(), storetest.Env(home), srv, storetest.Now)
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != len(tt.want) {
				t.Fatalf("got %d records, want %d: %+v", len(recs), len(tt.want), recs)
			}
			for i, w := range tt.want {
				r := recs[i]
				if r.Kind != w.kind || r.Active != w.active || !strings.Contains(r.Detail, w.detail) || r.Key != Key(srv) {
					t.Errorf("record %d = %+v, want kind %s active %v detail ~%q", i, r, w.kind, w.active, w.detail)
				}
				if strings.Contains(r.Detail, "CANARY") {
					t.Errorf("token value leaked: %s", r.Detail)
				}
			}
		})
	}
}

func TestCredentialsGateWindows(t *testing.T) {
	srv := storetest.ClaudeServer(t, "srv", `{"type":"http","url":"http://x/mcp"}`)
	stamp := storetest.Now.Add(-time.Hour)
	e := OAuthEntry{Discovery: &DiscoveryState{OAuthMetadataFound: true,
		TokenlessRejectedAt:    stamp2(stamp),
		RegistrationNotOffered: stamp2(stamp)}}
	b, c := e.GateB(srv, storetest.Now), e.GateC(srv, storetest.Now)
	if !b.Active || !b.Until.Equal(stamp.Add(7*24*time.Hour)) || !b.Since.Equal(stamp) {
		t.Errorf("gate B = %+v", b)
	}
	if !c.Active || !c.Until.Equal(stamp.Add(30*24*time.Hour)) {
		t.Errorf("gate C = %+v", c)
	}
}

func stamp2(t time.Time) stamp { return stamp{Present: true, Valid: true, Ms: float64(t.UnixMilli())} }

func TestCredentialsOrphans(t *testing.T) {
	home := t.TempDir()
	cur := storetest.ClaudeServer(t, "srv", `{"type":"http","url":"http://new.example/mcp"}`)
	old := storetest.ClaudeServer(t, "srv", `{"type":"http","url":"http://old.example/mcp?token=CANARY-q"}`)
	local := storetest.ClaudeServer(t, "srv", `{"type":"http","url":"http://local.example/mcp"}`)
	local.Scope = "local"
	other := storetest.ClaudeServer(t, "srv-two", `{"type":"http","url":"http://new.example/mcp"}`)
	data := map[string]any{
		"mcpOAuth": map[string]any{
			Key(cur):   map[string]any{"serverName": "srv", "accessToken": "CANARY-1", "refreshToken": "CANARY-2"},
			Key(old):   map[string]any{"serverName": "srv", "serverUrl": "http://old.example/mcp?token=CANARY-q", "accessToken": "CANARY-3"},
			Key(local): map[string]any{"serverName": "srv", "accessToken": "CANARY-4"},
			Key(other): map[string]any{"serverName": "srv-two", "accessToken": "CANARY-5"},
		},
		"mcpOAuthClientConfig": map[string]any{
			Key(cur): map[string]any{"clientSecret": "CANARY-6"},
			Key(old): map[string]any{"clientSecret": "CANARY-7"},
		},
	}
	raw, _ := json.Marshal(data)
	testfs.WriteFile(t, filepath.Join(home, ".claude", ".credentials.json"), string(raw))
	st := Store{Configured: []registry.Server{cur, local, other}}
	recs, err := st.Inspect(context.Background(), storetest.Env(home), cur, storetest.Now)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]string{}
	for _, r := range recs {
		kinds[r.Kind] = r.Key
		if strings.Contains(r.Detail, "CANARY") {
			t.Errorf("secret leaked in %+v", r)
		}
	}
	want := map[string]string{KindTokens: Key(cur), KindClientConfig: Key(cur),
		KindOrphanedOAuth: Key(old), KindOrphanedClientConfig: Key(old)}
	if fmt.Sprint(kinds) != fmt.Sprint(want) || len(recs) != 4 {
		t.Errorf("records %+v\nkinds %v, want %v (the local scope's key is not an orphan, srv-two is another server)", recs, kinds, want)
	}
	// Without the other configurations, the local scope's entry looks orphaned too.
	recs, _ = Store{}.Inspect(context.Background(), storetest.Env(home), cur, storetest.Now)
	if n := countKind(recs, KindOrphanedOAuth); n != 2 {
		t.Errorf("without Configured: %d orphans, want 2", n)
	}
}

func countKind(recs []store.Record, kind string) int {
	n := 0
	for _, r := range recs {
		if r.Kind == kind {
			n++
		}
	}
	return n
}

func TestCredentialsDamaged(t *testing.T) {
	for _, tt := range []struct{ name, data, reason string }{
		{"truncated", `{"mcpOAuth":{"srv|1":{"accessToken":"CANARY`, "not valid JSON"},
		{"mcpOAuth a string", `{"mcpOAuth":"CANARY"}`, "mcpOAuth is a string"},
		{"client config an array", `{"mcpOAuthClientConfig":[1]}`, "mcpOAuthClientConfig is an array"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			home := t.TempDir()
			path := filepath.Join(home, ".claude", ".credentials.json")
			testfs.WriteFile(t, path, tt.data)
			_, err := Store{}.Inspect(context.Background(), storetest.Env(home), storetest.ClaudeServer(t, "srv", `{"type":"http","url":"http://x"}`), storetest.Now)
			var de *store.DamagedError
			if !errors.As(err, &de) || de.File != path || !strings.Contains(de.Reason, tt.reason) {
				t.Fatalf("err = %v, want damage of %s mentioning %q", err, path, tt.reason)
			}
			if strings.Contains(err.Error(), "CANARY") {
				t.Errorf("damage reason quotes the file's contents: %v", err)
			}
		})
	}
}

func TestCredentialsSecureStorageDir(t *testing.T) {
	home := t.TempDir()
	dir := filepath.Join(home, "secure")
	env := storetest.Env(home, "CLAUDE_SECURESTORAGE_CONFIG_DIR", dir, "CLAUDE_CONFIG_DIR", filepath.Join(home, "cfg"))
	if got := File(env); got != filepath.Join(dir, ".credentials.json") {
		t.Errorf("File = %s", got)
	}
	if got := File(storetest.Env(home)); got != filepath.Join(home, ".claude", ".credentials.json") {
		t.Errorf("File = %s", got)
	}
}

func TestClaudeCredentialsItem(t *testing.T) {
	home := t.TempDir()
	cfg := filepath.Join(home, "cfg")
	sum := sha256.Sum256([]byte(cfg))
	tests := []struct {
		env              []string
		service, account string
	}{
		{[]string{"USER", "alice"}, "Claude Code-credentials", "alice"},
		{[]string{"USER", "alice", "CLAUDE_CONFIG_DIR", cfg}, "Claude Code-credentials-" + hex.EncodeToString(sum[:])[:8], "alice"},
		{[]string{"USER", "alice", "CLAUDE_SECURESTORAGE_CONFIG_DIR", cfg}, "Claude Code-credentials-" + hex.EncodeToString(sum[:])[:8], "alice"},
		{[]string{"USER", "a b"}, "Claude Code-credentials", "claude-code-user"},
	}
	for _, tt := range tests {
		it := KeychainItem(storetest.Env(home, tt.env...))
		if it.Service != tt.service || it.Account != tt.account {
			t.Errorf("env %v: item %+v, want %s / %s", tt.env, it, tt.service, tt.account)
		}
	}
}

// TestKeychainStandIn runs the macOS code path on any OS against the
// stand-in security: add, find (text and hex output), inspect, delete.
func TestKeychainStandIn(t *testing.T) {
	sec, storeFile := fakeSecurity(t)
	logFile := filepath.Join(t.TempDir(), "argv.log")
	t.Setenv("FAKE_SECURITY_LOG", logFile)
	kc := &keychain.Client{Security: sec}
	home := t.TempDir()
	env := storetest.Env(home, "USER", "alice")
	env.GOOS = "darwin"
	it := KeychainItem(env)
	ctx := context.Background()

	if _, found, err := kc.Find(ctx, it); err != nil || found {
		t.Fatalf("empty keychain: found=%v err=%v", found, err)
	}
	srv := storetest.ClaudeServer(t, "srv", `{"type":"http","url":"http://127.0.0.1:4131/mcp"}`)
	blob := fmt.Sprintf(`{"mcpOAuth":{%s:{"serverName":"srv","accessToken":"","discoveryState":{"oauthMetadataFound":true,"tokenlessRejectedAt":%d}}},"note":"ü CANARY-kc"}`,
		nodejson.Quote(Key(srv)), storetest.MsAgo(time.Minute))
	if err := kc.Add(ctx, it, []byte(blob)); err != nil {
		t.Fatal(err)
	}
	got, found, err := kc.Find(ctx, it)
	if err != nil || !found || string(got) != blob {
		t.Fatalf("find after add: %q found=%v err=%v (the ü makes security print hex)", got, found, err)
	}
	argv, _ := os.ReadFile(logFile)
	if strings.Contains(string(argv), hex.EncodeToString([]byte(blob))) {
		t.Errorf("the item's data went on the command line: %s", argv)
	}

	recs, err := Store{Keychain: kc}.Inspect(ctx, env, srv, storetest.Now)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].Store != store.Keychain || recs[0].Kind != store.KindTokenlessRejection || !recs[0].Active ||
		recs[0].File != it.String() {
		t.Fatalf("keychain records = %+v", recs)
	}

	// A damaged item is reported as such.
	if err := kc.Add(ctx, it, []byte(`{"mcpOAuth":`)); err != nil {
		t.Fatal(err)
	}
	_, err = Store{Keychain: kc}.Inspect(ctx, env, srv, storetest.Now)
	var de *store.DamagedError
	if !errors.As(err, &de) || de.Store != store.Keychain {
		t.Errorf("damaged item: err = %v", err)
	}

	if found, err := kc.Delete(ctx, it); err != nil || !found {
		t.Fatalf("delete: found=%v err=%v", found, err)
	}
	if found, err := kc.Delete(ctx, it); err != nil || found {
		t.Fatalf("second delete: found=%v err=%v", found, err)
	}
	if data, _ := os.ReadFile(storeFile); strings.Contains(string(data), "Claude Code") {
		t.Errorf("item still stored: %s", data)
	}
}

func TestKeychainFailure(t *testing.T) {
	kc := &keychain.Client{Security: filepath.Join(t.TempDir(), "no-such-security")}
	_, _, err := kc.Find(context.Background(), keychain.Item{Service: "s", Account: "a"})
	if err == nil || !strings.Contains(err.Error(), "keychain:s") {
		t.Errorf("err = %v, want one naming the item", err)
	}
}

// TestKeychainReadOncePerPass: an Inspector pass over several servers runs
// security(1) once, not once per server.
func TestKeychainReadOncePerPass(t *testing.T) {
	sec, _ := fakeSecurity(t)
	logFile := filepath.Join(t.TempDir(), "argv.log")
	t.Setenv("FAKE_SECURITY_LOG", logFile)
	env := storetest.Env(t.TempDir(), "USER", "alice")
	var servers []registry.Server
	for _, n := range []string{"a", "b", "c"} {
		servers = append(servers, storetest.ClaudeServer(t, n, `{"type":"http","url":"http://x/`+n+`"}`))
	}
	cs := ForInspection(servers) // what cache.NewInspector puts in a pass
	cs.Keychain = &keychain.Client{Security: sec}
	for _, s := range servers {
		if _, err := cs.Inspect(context.Background(), env, s, storetest.Now); err != nil {
			t.Fatalf("inspect %s: %v", s.Name, err)
		}
	}
	argv, _ := os.ReadFile(logFile)
	if n := strings.Count(string(argv), "find-generic-password"); n != 1 {
		t.Errorf("security ran %d times for 3 servers:\n%s", n, argv)
	}
}
