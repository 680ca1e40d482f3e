package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpmend/mcpmend/registry"
)

// BenchmarkCheckup measures what diagnosis costs on top of probing: 20
// http servers answering after 50 ms each, half of them remembered as
// needing authentication, checked with Checkup and with probe_server
// {all} in the same run.
//
// Reported per iteration: checkup_s, probe_all_s and checkup/probe_all
// (1.0: reading the stores and judging adds nothing to the wall time,
// because the stores are read while the probes run).
//
//	go test ./tools -run '^$' -bench Checkup -benchtime 5x
func BenchmarkCheckup(b *testing.B) {
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server {
		return mcp.NewServer(&mcp.Implementation{Name: "bench", Version: "1"}, nil)
	}, nil)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(50 * time.Millisecond)
		h.ServeHTTP(w, r)
	}))
	b.Cleanup(srv.Close)
	servers := map[string]any{}
	var stuck []string
	for i := range 20 {
		name := fmt.Sprintf("srv-%02d", i)
		servers[name] = map[string]any{"type": "http", "url": srv.URL}
		if i%2 == 0 {
			stuck = append(stuck, name)
		}
	}
	home := b.TempDir()
	data, _ := json.Marshal(map[string]any{"mcpServers": servers})
	if err := os.WriteFile(filepath.Join(home, ".claude.json"), data, 0o600); err != nil {
		b.Fatal(err)
	}
	env := registry.OSEnv().WithHome(home)
	env.CWD = home
	d := NewDeps(env, nil)
	writeNeedsAuth(b, d, stuck...)
	ctx := context.Background()
	var checkup, probeAll time.Duration
	n := 0
	for b.Loop() {
		n++
		start := time.Now()
		out, err := Checkup(ctx, d, CheckupInput{})
		if err != nil || out.Counts.Servers != 20 || out.Counts.Error != 10 {
			b.Fatalf("checkup: %v %+v", err, out.Counts)
		}
		checkup += time.Since(start)
		start = time.Now()
		if p, err := ProbeServer(ctx, d, ProbeServerInput{All: true}); err != nil || p.Failed != 0 {
			b.Fatalf("probe all: %v", err)
		}
		probeAll += time.Since(start)
	}
	b.ReportMetric(checkup.Seconds()/float64(n), "checkup_s")
	b.ReportMetric(probeAll.Seconds()/float64(n), "probe_all_s")
	b.ReportMetric(checkup.Seconds()/probeAll.Seconds(), "checkup/probe_all")
}
