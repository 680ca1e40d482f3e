package tools

import (
	"testing"

	"github.com/mcpmend/mcpmend/registry"
)

// BenchmarkNewServer is what `mcpmend serve` spends building its tools
// before it can answer initialize: the go-sdk reflects and resolves every
// tool's input and output schema (the bulk of mcpmend's cold start above a
// bare go-sdk server; bench/run times the two side by side).
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
