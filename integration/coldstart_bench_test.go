package integration

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// BenchmarkColdStart is what every client session pays for mcpmend before
// it can use it: spawning `mcpmend serve` until its initialize result is
// read over stdio, timed in turns with the Node reference server
// (@modelcontextprotocol/server-everything over stdio) so that both meet
// the same load. mcpmend is built as a release is (.goreleaser.yaml:
// static, stripped, the version stamped). Reported per iteration: serve_ms and node_ms (medians)
// and node/serve, how many times faster mcpmend answers (the aim is ≥ 30).
// bench/run and bench/coldstart measure the same with peak RSS.
//
//	go test ./integration -run '^$' -bench ColdStart -benchtime 20x
func BenchmarkColdStart(b *testing.B) {
	everything := npmBin(b, "mcp-server-everything")
	release := filepath.Join(b.TempDir(), "mcpmend")
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w -X github.com/mcpmend/mcpmend/internal/stamp.Version=v0.0.0-bench", "-o", release, "../cmd/mcpmend")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("building mcpmend: %v\n%s", err, out)
	}
	empty := b.TempDir()
	var serve, node []time.Duration
	for b.Loop() {
		serve = append(serve, untilInitialized(b, release, "serve", "--home", empty))
		node = append(node, untilInitialized(b, everything, "stdio"))
	}
	s, n := median(serve), median(node)
	b.ReportMetric(float64(s.Microseconds())/1000, "serve_ms")
	b.ReportMetric(float64(n.Microseconds())/1000, "node_ms")
	b.ReportMetric(n.Seconds()/s.Seconds(), "node/serve")
}

// untilInitialized spawns argv, sends initialize and returns the time until
// the result was read; the process is then ended by closing its stdin.
func untilInitialized(b *testing.B, argv ...string) time.Duration {
	b.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		stdin.Close()
		go io.Copy(io.Discard, stdout)
		t := time.AfterFunc(5*time.Second, func() { cmd.Process.Kill() })
		cmd.Wait()
		t.Stop()
	}()
	io.WriteString(stdin, `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}`+"\n")
	r := bufio.NewReader(stdout)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			b.Fatalf("%s: no initialize result: %v", argv[0], err)
		}
		if strings.Contains(line, `"id":1`) && strings.Contains(line, `"result"`) {
			return time.Since(start)
		}
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
