package registry

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// bigClaudeJSON writes a ~/.claude.json past mapMinSize: projects with
// history, each defining one server, and one project repeating a server
// name (the last definition wins, as with JSON.parse).
func bigClaudeJSON(t *testing.T, projects int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(`{"mcpServers":{"u":{"command":"user"}},"projects":{`)
	for p := range projects {
		if p > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"/src/p%d":{"history":[%s],"mcpServers":{"s":{"command":"first"},"s":{"command":"run-%d"}},"hasTrustDialogAccepted":true}`,
			p, strings.TrimSuffix(strings.Repeat(`{"display":"a long prompt that fills the file \"quoted\""},`, 40), ","), p)
	}
	b.WriteString(`}}`)
	path := filepath.Join(t.TempDir(), ".claude.json")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(path); st.Size() < mapMinSize {
		t.Fatalf("%d bytes: not large enough to be mapped", st.Size())
	}
	return path
}

// TestClaudeMainMapped: a large file is read through the mapping where the
// platform maps files, with the same result as reading its bytes, and the
// servers kept are copies (the mapping is gone when they are used).
func TestClaudeMainMapped(t *testing.T) {
	path := bigClaudeJSON(t, 600)
	m, prob, ok := readClaudeMainMapped(path, nil)
	if mapped := runtime.GOOS == "linux" || runtime.GOOS == "darwin"; ok != mapped {
		t.Fatalf("mapped = %v on %s", ok, runtime.GOOS)
	}
	if !ok {
		return
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want, wantProb := readClaudeMainBytes(path, data, nil)
	if prob != nil || wantProb != nil || len(m.projects) != 600 || len(m.projects) != len(want.projects) {
		t.Fatalf("mapped: %d projects, %v; read: %v", len(m.projects), prob, wantProb)
	}
	for dir, p := range want.projects {
		if got := m.projects[dir]; got == nil || string(got.servers) != string(p.servers) || got.trusted != p.trusted {
			t.Errorf("%s: mapped %+v, read %+v", dir, got, p)
		}
	}
	if s := string(m.projects["/src/p7"].servers); s != `{"s":{"command":"run-7"}}` {
		t.Errorf("p7 servers = %s", s)
	}
}

// TestClaudeMainTruncatedWhileMapped: another program truncating the file
// in place while it is scanned makes the mapping fault; the read recovers
// and reads the file again instead of crashing.
func TestClaudeMainTruncatedWhileMapped(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("truncation under a mapping is checked on Linux")
	}
	if hugePagesOnRequest() { // read into huge pages, the file is not mapped: force the mapping
		old := hugePagesOnRequest
		hugePagesOnRequest = func() bool { return false }
		t.Cleanup(func() { hugePagesOnRequest = old })
	}
	path := bigClaudeJSON(t, 600)
	truncated := false
	_, _, ok := readClaudeMainMapped(path, func(*claudeProject) {
		if !truncated {
			truncated = true
			if err := os.Truncate(path, 0); err != nil {
				t.Error(err)
			}
		}
	})
	if !truncated || ok {
		t.Fatalf("truncated %v, ok %v: want the fault to be recovered and reported as not read", truncated, ok)
	}
	// readClaudeMain then reads what is there now: an empty file.
	if m, prob := readClaudeMain(Env{}, path, nil); m != nil || prob != nil {
		t.Errorf("after truncation: %+v, %v", m, prob)
	}
}

// Read into huge pages, a file truncated while it is scanned is read as it
// was when read: one consistent snapshot, like the ordinary read.
func TestClaudeMainTruncatedWhileScannedFromHugePages(t *testing.T) {
	if !hugePagesOnRequest() {
		t.Skip("no transparent huge pages here")
	}
	path := bigClaudeJSON(t, 600)
	truncated := false
	m, prob, ok := readClaudeMainMapped(path, func(*claudeProject) {
		if !truncated {
			truncated = true
			if err := os.Truncate(path, 0); err != nil {
				t.Error(err)
			}
		}
	})
	if !truncated || !ok || prob != nil || len(m.projects) != 600 {
		t.Fatalf("truncated %v, ok %v, problem %v: want the 600 projects read before the truncation", truncated, ok, prob)
	}
}
