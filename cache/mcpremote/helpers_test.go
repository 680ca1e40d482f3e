package mcpremote

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mcpmend/mcpmend/registry"
)

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
