package probe

import (
	"context"
	"sync"

	"github.com/mcpmend/mcpmend/registry"
)

// Progress is told about each finished probe, one call at a time, in
// completion order: done of total are finished and r is the latest.
type Progress func(done, total int, r Result)

// ProbeAll probes every server concurrently and returns the results in the
// order of servers, however the probes finish. At most opts.Concurrency
// stdio probes run at once (they start processes) and at most opts.Starts
// of them are starting — between the process start and the end of the
// handshake — so servers starting on a small machine do not starve each
// other into timeouts; a probe's timeout runs only once it may start.
// Remote probes mostly wait on the network and run wide (four times
// opts.Concurrency). When ctx is cancelled, probes not yet started report
// Cancelled and running ones stop and clean up.
func ProbeAll(ctx context.Context, servers []registry.Server, opts Options, progress Progress) []Result {
	opts = opts.withDefaults()
	results := make([]Result, len(servers))
	local := make(chan struct{}, opts.Concurrency)
	remote := make(chan struct{}, 4*opts.Concurrency)
	starts := make(chan struct{}, opts.Starts)
	var mu sync.Mutex
	done := 0
	var wg sync.WaitGroup
	for i, s := range servers {
		sem := remote
		if s.Transport == registry.Stdio {
			sem = local
		}
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
				results[i] = probe(ctx, s, opts, starts)
				<-sem
			case <-ctx.Done():
				results[i] = cancelled(s)
			}
			mu.Lock()
			defer mu.Unlock()
			done++
			if progress != nil {
				progress(done, len(servers), results[i])
			}
		})
	}
	wg.Wait()
	return results
}

func cancelled(s registry.Server) Result {
	p := newProber(s, Options{}.withDefaults())
	p.fail(PhaseConfig, Cancelled, "the probe was cancelled before it started", nil)
	return p.r
}
