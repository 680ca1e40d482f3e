package registry

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The benchmarks below read the same generated ~/.claude.json of a heavy
// user: 5,000 projects, each with prompt history and a few servers, about
// 100 MB. Run them side by side:
//
//	go test -run '^$' -bench 'Discover|Unmarshal' -benchmem ./registry/

const (
	benchProjects = 5000
	benchHistory  = 90 // entries per project: ~20 KB of history each
)

// benchHome writes the big ~/.claude.json under dir; one project in ten
// exists on disk with a .mcp.json and settings, as on a real machine where
// old projects have been deleted. It returns the home, a project dir to use
// as the current directory, and the file's size.
func benchHome(b *testing.B) (home, cwd string, size int64) {
	b.Helper()
	dir := b.TempDir()
	home = filepath.Join(dir, "home")
	if err := os.MkdirAll(filepath.Join(home, ".claude"), 0o755); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(home, ".claude.json")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprint(w, `{"numStartups":812,"installMethod":"native","mcpServers":{`)
	for i := range 10 {
		fmt.Fprintf(w, `%s"user-%d":{"type":"http","url":"https://mcp%d.example.com/mcp","headers":{"Authorization":"Bearer tok-%d"}}`, comma(i), i, i, i)
	}
	fmt.Fprint(w, `},"projects":{`)
	for p := range benchProjects {
		pdir := filepath.Join(dir, "src", fmt.Sprintf("project-%04d", p))
		if p%10 == 0 {
			benchProject(b, pdir)
			cwd = pdir
		}
		key, _ := json.Marshal(pdir)
		fmt.Fprintf(w, `%s%s:{"allowedTools":[],"history":[`, comma(p), key)
		for h := range benchHistory {
			fmt.Fprintf(w, `%s{"display":"Please refactor the \"handler\" in internal/server/route_%d.go so that it returns wrapped errors, then run the tests and fix what fails. Also update docs/ARCHITECTURE.md — entry %d\n","pastedContents":{}}`, comma(h), p, h)
		}
		fmt.Fprintf(w, `],"mcpContextUris":[],"mcpServers":{"db":{"command":"npx","args":["-y","@example/db-mcp","--dsn","postgres://u:p@localhost/db%d"],"env":{"PGPASSWORD":"pw"}},"docs":{"type":"sse","url":"http://127.0.0.1:%d/sse"}},"enabledMcpjsonServers":[],"disabledMcpjsonServers":[],"disabledMcpServers":["docs"],"hasTrustDialogAccepted":%v,"projectOnboardingSeenCount":3,"lastCost":0.1234,"lastSessionId":"5f0c9a3e-%04d"}`, p, 3000+p%1000, p%2 == 0, p)
	}
	fmt.Fprint(w, `}}`)
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return home, cwd, st.Size()
}

// benchProject creates a project directory with a .mcp.json and settings.
func benchProject(b *testing.B, dir string) {
	b.Helper()
	if err := os.MkdirAll(filepath.Join(dir, ".claude"), 0o755); err != nil {
		b.Fatal(err)
	}
	files := map[string]string{
		".mcp.json":                   `{"mcpServers":{"shared":{"command":"node","args":["tools/mcp.js"]},"db":{"command":"other"}}}`,
		".claude/settings.local.json": `{"enabledMcpjsonServers":["shared"]}`,
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			b.Fatal(err)
		}
	}
}

func comma(i int) string {
	if i == 0 {
		return ""
	}
	return ","
}

// BenchmarkDiscover is `mcpmend list` on the big file: every client.
func BenchmarkDiscover(b *testing.B) {
	home, cwd, size := benchHome(b)
	env := Env{Home: home, CWD: cwd, GOOS: "linux", Getenv: func(k string) string {
		if k == ManagedDirVar {
			return filepath.Join(home, "no-managed-dir")
		}
		return ""
	}}
	inv := Discover(env)
	if n := len(inv.Servers); n < 2*benchProjects || len(inv.Problems) > 0 {
		b.Fatalf("discovered %d servers, problems %v", n, inv.Problems)
	}
	b.SetBytes(size)
	cpu := cpuTime()
	for b.Loop() {
		Discover(env)
	}
	reportCPU(b, cpu)
}

// reportCPU adds the CPU time per op since start (see cpuTime).
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

// BenchmarkUnmarshal is a full encoding/json decode of the same file, what
// a reader that does not pick its members would pay.
func BenchmarkUnmarshal(b *testing.B) {
	home, _, size := benchHome(b)
	b.SetBytes(size)
	cpu := cpuTime()
	for b.Loop() {
		data, err := os.ReadFile(filepath.Join(home, ".claude.json"))
		if err != nil {
			b.Fatal(err)
		}
		var v map[string]any
		if err := json.Unmarshal(data, &v); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu)
}

// BenchmarkScanClaudeJSON is the one-pass validating read of the big file
// alone, the part of Discover that grows with the history.
func BenchmarkScanClaudeJSON(b *testing.B) {
	home, _, size := benchHome(b)
	data, err := os.ReadFile(filepath.Join(home, ".claude.json"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(size)
	cpu := cpuTime()
	for b.Loop() {
		if _, prob := readClaudeMainBytes("f", data, nil); prob != nil {
			b.Fatal(prob)
		}
	}
	reportCPU(b, cpu)
}

// BenchmarkReadClaudeMain compares the ways to read the big file and scan
// it once: streamed through a reused buffer (what readClaudeMain does from
// streamMinSize on), and read whole into the heap first (what it does for
// small files, and after a syntax error for the exact line and column).
// Both scan in two halves at once.
func BenchmarkReadClaudeMain(b *testing.B) {
	home, _, size := benchHome(b)
	path := filepath.Join(home, ".claude.json")
	run := func(b *testing.B, read func() bool) {
		b.SetBytes(size)
		cpu := cpuTime()
		for b.Loop() {
			if !read() {
				b.Fatal("not read")
			}
		}
		reportCPU(b, cpu)
	}
	b.Run("stream", func(b *testing.B) {
		run(b, func() bool {
			m, ok := readClaudeMainStream(path, streamBufSize, nil)
			return ok && len(m.projects) == benchProjects
		})
	})
	b.Run("heap", func(b *testing.B) {
		run(b, func() bool {
			data, err := readLarge(path)
			if err != nil {
				b.Fatal(err)
			}
			m, prob := readClaudeMainBytes(path, data, nil)
			return prob == nil && len(m.projects) == benchProjects
		})
	})
}
