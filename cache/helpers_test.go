package cache

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tidwall/gjson"

	"github.com/mcpmend/mcpmend/cache/mutation"
	"github.com/mcpmend/mcpmend/internal/keychain"
	"github.com/mcpmend/mcpmend/registry"
)

// claudeServer builds the Server the registry reads from a Claude Code
// entry: only the fields the stores use, filled from the entry's JSON.
func claudeServer(t testing.TB, name, entry string) registry.Server {
	t.Helper()
	v := gjson.Parse(entry)
	if !v.IsObject() {
		t.Fatalf("entry for %s is not an object: %s", name, entry)
	}
	s := registry.Server{Name: name, Client: registry.ClaudeCode, Scope: "user", Effective: true}
	s.Raw.Entry = entry
	s.Raw.Type = v.Get("type").String()
	s.Raw.URL = registry.Secret(v.Get("url").String())
	s.Command = v.Get("command").String()
	for _, a := range v.Get("args").Array() {
		s.Raw.Args = append(s.Raw.Args, registry.Secret(a.String()))
	}
	v.Get("headers").ForEach(func(k, val gjson.Result) bool {
		s.Raw.Headers = append(s.Raw.Headers, registry.Header{Name: k.String(), Value: registry.Secret(val.String())})
		return true
	})
	if h := v.Get("headersHelper"); h.Exists() {
		s.Raw.HeadersHelper = registry.Secret(h.String())
	}
	if o := v.Get("oauth"); o.IsObject() {
		s.OAuth = &registry.OAuth{ClientID: o.Get("clientId").String(), AuthServerMetadataURL: o.Get("authServerMetadataUrl").String()}
	}
	switch strings.ToLower(s.Raw.Type) {
	case "http", "streamable-http":
		s.Transport = registry.HTTP
	case "sse":
		s.Transport = registry.SSE
	case "ws":
		s.Transport = registry.WS
	default:
		s.Transport = registry.Stdio
	}
	return s
}

// testEnv is an Env rooted at home with exactly the given variables.
func testEnv(home string, vars ...string) registry.Env {
	m := map[string]string{}
	for i := 0; i+1 < len(vars); i += 2 {
		m[vars[i]] = vars[i+1]
	}
	return registry.Env{Home: home, CWD: home, GOOS: "linux", Getenv: func(k string) string { return m[k] }}
}

func writeFile(t testing.TB, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

// fixedNow is the clock of table tests: stamps are written relative to it.
var fixedNow = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func msAgo(d time.Duration) int64 { return fixedNow.Add(-d).UnixMilli() }

// fakeSecurity builds the stand-in security(1) from internal/keychain/testdata/fakesecurity
// into the test's temp dir and gives it a fresh keychain store.
func fakeSecurity(t testing.TB) (path, storeFile string) {
	t.Helper()
	dir := t.TempDir()
	path = filepath.Join(dir, "security")
	if out, err := exec.Command("go", "build", "-o", path, "../internal/keychain/testdata/fakesecurity").CombinedOutput(); err != nil {
		t.Fatalf("building the stand-in security: %v\n%s", err, out)
	}
	storeFile = filepath.Join(dir, "keychain.json")
	t.Setenv("FAKE_SECURITY_STORE", storeFile)
	// A step rebuilt from the journal never runs a program the entry names:
	// it runs mutation.ReplayKeychain, pointed here at the stand-in.
	old := mutation.ReplayKeychain
	mutation.ReplayKeychain = func() *keychain.Client { return &keychain.Client{Security: path} }
	t.Cleanup(func() { mutation.ReplayKeychain = old })
	return path, storeFile
}
