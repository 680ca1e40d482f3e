package tools

import (
	"testing"

	"github.com/mcpmend/mcpmend/registry"
)

// BenchmarkNewServer is what `mcpmend serve` spends building its tools
// before it can answer initialize. The schemas are generated at build time
// (toolset.go), so this is registration only: 0.2–0.3 ms of CPU on the
// loaded 2-core machine, where reflecting and resolving every tool's input
// and output schema took 11–17 ms before (bench/run times the whole cold
// start against a bare go-sdk server and Node's reference server).
//
//	go test ./tools -run '^$' -bench NewServer
func BenchmarkNewServer(b *testing.B) {
	d := NewDeps(registry.OSEnv(), nil)
	cpu := cpuTime()
	for b.Loop() {
		NewServer(d)
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N)/1e6, "cpu-ms/op")
}
