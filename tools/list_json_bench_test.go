package tools

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/mcpmend/mcpmend/internal/jsonindent"
)

// listOutput is list_servers on 15,000 servers: the same three names in
// 5,000 projects, with their states (issue 15's shape).
func listOutput(b *testing.B) *ListServersOutput {
	out, err := ListServers(context.Background(), scalingHome(b, 5000), ListServersInput{})
	if err != nil || len(out.Servers) != 15000 || len(out.States) == 0 {
		b.Fatalf("%v, %d servers", err, len(out.Servers))
	}
	return out
}

// BenchmarkListJSON is what `list --json` prints for 15,000 servers (9.6
// MB), written to io.Discard: by encoding/json (json.Marshal, then
// internal/jsonindent: what the command did before, there with the
// servers' Marshal split over the cores) and by WriteJSON
// (tools/jsonout), taking turns in each iteration so that both see the
// same machine; it reports each one's milliseconds and bytes allocated
// per run, and the ratios.
//
//	go test ./tools -run '^$' -bench ListJSON -benchtime 20x
func BenchmarkListJSON(b *testing.B) {
	out := listOutput(b)
	var std, own [2]float64
	for b.Loop() {
		measure(b, &std, func() error {
			js, err := json.Marshal(out)
			if err != nil {
				return err
			}
			return jsonindent.Write(io.Discard, append(js, '\n'), "", "  ")
		})
		measure(b, &own, func() error { return out.WriteJSON(io.Discard) })
	}
	reportPair(b, "encoding_json", std, "jsonout", own)
}

// measure runs f once, adding its nanoseconds and bytes allocated to acc.
func measure(b *testing.B, acc *[2]float64, f func() error) {
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	start := time.Now()
	if err := f(); err != nil {
		b.Fatal(err)
	}
	acc[0] += float64(time.Since(start))
	runtime.ReadMemStats(&m1)
	acc[1] += float64(m1.TotalAlloc - m0.TotalAlloc)
}

// reportPair reports two measures' milliseconds and MB allocated per
// iteration, and how many times faster and lighter the second is.
func reportPair(b *testing.B, oldName string, old [2]float64, newName string, own [2]float64) {
	n := float64(b.N)
	b.ReportMetric(old[0]/n/1e6, oldName+"_ms")
	b.ReportMetric(own[0]/n/1e6, newName+"_ms")
	b.ReportMetric(old[0]/own[0], "x_faster")
	b.ReportMetric(old[1]/n/1e6, oldName+"_MB_alloc")
	b.ReportMetric(own[1]/n/1e6, newName+"_MB_alloc")
	b.ReportMetric(old[1]/max(own[1], 1), "x_less_alloc")
	b.ReportMetric(0, "ns/op") // the figures above say it
}

// BenchmarkListJSONFile is WriteJSON of 15,000 servers to a file, as `list
// --json > file` does: the encoding and the writes, in 64 KB chunks.
func BenchmarkListJSONFile(b *testing.B) {
	out := listOutput(b)
	f, err := os.Create(filepath.Join(b.TempDir(), "list.json"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			b.Fatal(err)
		}
		if err := out.WriteJSON(f); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckupJSON is what `checkup --no-probe --json` prints for
// 15,000 servers (45 MB), written to io.Discard, by encoding/json (then
// internal/jsonindent) and by WriteJSON, side by side as BenchmarkListJSON.
//
//	go test ./tools -run '^$' -bench CheckupJSON -benchtime 10x
func BenchmarkCheckupJSON(b *testing.B) {
	out, err := Checkup(context.Background(), scalingHome(b, 5000), CheckupInput{SkipProbe: true})
	if err != nil || len(out.Servers) != 15000 {
		b.Fatalf("%v", err)
	}
	var std, own [2]float64
	for b.Loop() {
		measure(b, &std, func() error {
			js, err := json.Marshal(out)
			if err != nil {
				return err
			}
			return jsonindent.Write(io.Discard, append(js, '\n'), "", "  ")
		})
		measure(b, &own, func() error { return out.WriteJSON(io.Discard) })
	}
	reportPair(b, "encoding_json", std, "jsonout", own)
}
