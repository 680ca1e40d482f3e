package probe

import (
	"context"
	"testing"
	"time"

	"github.com/mcpmend/mcpmend/registry"
)

// BenchmarkProbeSlowHTTP probes a streamable HTTP server that delays every
// request by 50 ms and makes the client fall back from server/discover to
// initialize (a stateful go-sdk server, as most deployed ones are): the
// probe a user waits on in checkup. Each iteration probes it with the
// speculative initialize (speculate.go) and without, in turns. Reported,
// in units of the server's delay: handshake_delays and probe_delays with
// it, handshake_delays_before and probe_delays_before without. The
// handshake is server/discover ∥ initialize, then notifications/initialized:
// 2 delays with the speculation, 3 without (plus the load's share); the
// probe adds tools/list ∥ ping ∥ the GET stream, and no wait for the
// DELETE's answer (stream.go): 3 delays in all.
//
//	go test ./tools/probe -run '^$' -bench ProbeSlowHTTP -benchtime 10x
func BenchmarkProbeSlowHTTP(b *testing.B) {
	const d = 50 * time.Millisecond
	srv := serve(b, delayed(d, streamableHandler()))
	s := remoteServer("slow", registry.HTTP, srv.URL)
	var hs, all [2]time.Duration // [0] with the speculation, [1] without
	defer func() { speculateInitialize = true }()
	for b.Loop() {
		for i, on := range []bool{true, false} {
			speculateInitialize = on
			r := Probe(context.Background(), s, quick())
			if r.Verdict != OK {
				b.Fatalf("verdict %s: %s", r.Verdict, r.Summary)
			}
			hs[i] += time.Duration(phaseNamed(r, PhaseHandshake).MS * float64(time.Millisecond))
			all[i] += time.Duration(r.DurationMS * float64(time.Millisecond))
		}
	}
	units := func(t time.Duration) float64 { return t.Seconds() / d.Seconds() / float64(b.N) }
	b.ReportMetric(units(hs[0]), "handshake_delays")
	b.ReportMetric(units(all[0]), "probe_delays")
	b.ReportMetric(units(hs[1]), "handshake_delays_before")
	b.ReportMetric(units(all[1]), "probe_delays_before")
}
