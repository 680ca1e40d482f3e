package probe

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mcpmend/mcpmend/registry"
)

// canary is a secret configured in every test server; it must never
// appear in a result.
const canary = "CANARY-7b1e5f0c9d2a"

// selfExe is the test binary, which runs the stdio test servers.
func selfExe(t testing.TB) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

// stdioServer configures the test binary as a stdio server with behaviour b.
func stdioServer(t testing.TB, b string, env ...string) registry.Server {
	t.Helper()
	s := registry.Server{Name: b, Client: registry.ClaudeCode, Scope: "user", Transport: registry.Stdio, Command: selfExe(t),
		Args: []string{"--api-key", registry.Redacted}}
	s.Raw.Args = []registry.Secret{"--api-key", canary}
	s.Raw.Env = []registry.EnvVar{{Name: behaviourEnv, Value: registry.Secret(b)}, {Name: "PROBE_SECRET", Value: canary}}
	for i := 0; i+1 < len(env); i += 2 {
		s.Raw.Env = append(s.Raw.Env, registry.EnvVar{Name: env[i], Value: registry.Secret(env[i+1])})
	}
	for _, e := range s.Raw.Env {
		s.EnvNames = append(s.EnvNames, e.Name)
	}
	return s
}

// remoteServer configures an http, sse or ws server at url with headers
// given as name, value pairs.
func remoteServer(name string, t registry.Transport, url string, headers ...string) registry.Server {
	s := registry.Server{Name: name, Client: registry.ClaudeCode, Scope: "user", Transport: t, URL: registry.RedactURL(url)}
	s.Raw.URL = registry.Secret(url)
	for i := 0; i+1 < len(headers); i += 2 {
		s.Raw.Headers = append(s.Raw.Headers, registry.Header{Name: headers[i], Value: registry.Secret(headers[i+1])})
		s.HeaderNames = append(s.HeaderNames, headers[i])
	}
	return s
}

// quick are options for tests: a short timeout and grace.
func quick() Options { return Options{Timeout: 5 * time.Second, Grace: 200 * time.Millisecond} }

// checkResult asserts the verdict, that the result is self-consistent, and
// that no canary leaked into it.
func checkResult(t *testing.T, r Result, want Verdict) {
	t.Helper()
	raw, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), canary) {
		t.Errorf("canary secret leaked into the result: %s", raw)
	}
	if r.Verdict != want {
		t.Fatalf("verdict = %s (%s; error %q), want %s\n%s", r.Verdict, r.Summary, r.Error, want, raw)
	}
	if r.Verdict != OK && (r.Summary == "" || r.Phase == "") {
		t.Errorf("failed verdict without summary or phase: %s", raw)
	}
	if len(r.Phases) == 0 {
		t.Errorf("no phase timings: %s", raw)
	}
}

func phaseNamed(r Result, name string) *PhaseTiming {
	for i := range r.Phases {
		if r.Phases[i].Name == name {
			return &r.Phases[i]
		}
	}
	return nil
}
