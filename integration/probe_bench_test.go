package integration

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// BenchmarkProbeAll probes 20 configured servers — 10 streamable HTTP
// servers that add 300 ms to every request, 10 stdio servers (`mcpmend
// serve`, a go-sdk server) — with `mcpmend probe --all`, and in the same
// run times each server probed alone and `claude mcp list` (the real
// Claude Code CLI's own health check) on the same ~/.claude.json.
//
// Reported per iteration: all_s (probe --all), slowest_single_s (the
// slowest one-server probe), all/slowest (concurrency overhead; 1.0 is
// perfect), claude_list_s and all/claude_list, checkup_s (`mcpmend checkup`,
// which also reads every store) and claude_list/checkup (how many times
// faster checkup is than `claude mcp list`).
//
//	go test ./integration -run '^$' -bench ProbeAll -benchtime 3x
func BenchmarkProbeAll(b *testing.B) {
	claude := npmBin(b, "claude")
	home, empty := b.TempDir(), b.TempDir()
	servers := map[string]any{}
	var names []string
	for i := range 10 {
		name := fmt.Sprintf("http-%02d", i)
		servers[name] = map[string]any{"type": "http", "url": latencyServer(b, 300*time.Millisecond) + "/mcp"}
		names = append(names, name)
	}
	for i := range 10 {
		name := fmt.Sprintf("stdio-%02d", i)
		servers[name] = map[string]any{"command": binary, "args": []string{"serve", "--home", empty}}
		names = append(names, name)
	}
	writeClaudeJSON(b, home, servers)

	timed := func(f func()) time.Duration {
		start := time.Now()
		f()
		return time.Since(start)
	}
	var all, slowest, list, check time.Duration
	n := 0
	for b.Loop() {
		n++
		all += timed(func() {
			if out, _, code := probeJSON(b, home, "--all"); code != 0 || len(out.Results) != 20 {
				b.Fatalf("probe --all: exit %d, %d results", code, len(out.Results))
			}
		})
		var worst time.Duration
		for _, name := range names {
			worst = max(worst, timed(func() {
				if _, stderr, code := runCLI(b, home, "probe", name); code != 0 {
					b.Fatalf("probe %s: exit %d: %s", name, code, stderr)
				}
			}))
		}
		slowest += worst
		check += timed(func() {
			if _, stderr, code := runCLI(b, home, "checkup", "--json"); code != 0 {
				b.Fatalf("checkup: exit %d: %s", code, stderr)
			}
		})
		list += timed(func() {
			out := runClaude(b, claude, home, home, false, "mcp", "list")
			if c := strings.Count(out, "Connected"); c != 20 {
				b.Fatalf("claude mcp list connected %d of 20:\n%s", c, out)
			}
		})
	}
	avg := func(d time.Duration) float64 { return d.Seconds() / float64(n) }
	b.ReportMetric(avg(all), "all_s")
	b.ReportMetric(avg(slowest), "slowest_single_s")
	b.ReportMetric(all.Seconds()/slowest.Seconds(), "all/slowest")
	b.ReportMetric(avg(list), "claude_list_s")
	b.ReportMetric(all.Seconds()/list.Seconds(), "all/claude_list")
	b.ReportMetric(avg(check), "checkup_s")
	b.ReportMetric(list.Seconds()/check.Seconds(), "claude_list/checkup")
}

// latencyServer serves a go-sdk MCP server over streamable HTTP on
// loopback, answering every request only after d.
func latencyServer(b testing.TB, d time.Duration) string {
	h := noopHandler("latency")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(d)
		h.ServeHTTP(w, r)
	}))
	b.Cleanup(srv.Close)
	return srv.URL
}

// noopHandler serves, over streamable HTTP (stateful), a go-sdk MCP server
// named name with one tool, noop.
func noopHandler(name string) http.Handler {
	return mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server {
		s := mcp.NewServer(&mcp.Implementation{Name: name, Version: "1"}, nil)
		mcp.AddTool(s, &mcp.Tool{Name: "noop"}, func(_ context.Context, _ *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, any, error) {
			return &mcp.CallToolResult{}, nil, nil
		})
		return s
	}, nil)
}
