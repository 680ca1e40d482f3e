// Package storetest holds the helpers every store's tests share: a
// registry.Server built from a Claude Code entry the way the registry reads
// it, an Env rooted at a temp home, and the fixed clock table tests stamp
// against. Test-only: nothing but _test files imports it, and they call it
// by name rather than through aliases of their own. It writes no files: the
// fixture writer the same tests share is internal/testfs.
package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/tidwall/gjson"

	"github.com/mcpmend/mcpmend/registry"
)

// ClaudeServer builds the Server the registry reads from a Claude Code
// entry: only the fields the stores use, filled from the entry's JSON.
func ClaudeServer(t testing.TB, name, entry string) registry.Server {
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

// Env is an Env rooted at home with exactly the given variables.
func Env(home string, vars ...string) registry.Env {
	m := map[string]string{}
	for i := 0; i+1 < len(vars); i += 2 {
		m[vars[i]] = vars[i+1]
	}
	return registry.Env{Home: home, CWD: home, GOOS: "linux", Getenv: func(k string) string { return m[k] }}
}

// Now is the clock of table tests: stamps are written relative to it.
var Now = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// MsAgo is the JavaScript timestamp d before Now.
func MsAgo(d time.Duration) int64 { return Now.Add(-d).UnixMilli() }
