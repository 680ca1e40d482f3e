// Package parallel runs independent per-item work of a long list on every
// core, with each result filed at its own index so that output order never
// depends on which item finished first.
package parallel

import (
	"runtime"
	"sync"
)

// minPerWorker is how many items a worker must have before a second
// goroutine pays for itself: a short list stays on one goroutine.
const minPerWorker = 256

// For calls f(i) for every i in [0, n). For a long list the calls are
// split among GOMAXPROCS goroutines (strided, so cheap and dear items
// spread evenly); f must only write to its own index's result and share
// nothing mutable with other calls. For returns when every call has.
func For(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n/minPerWorker)
	if workers < 2 {
		for i := range n {
			f(i)
		}
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				f(i)
			}
		})
	}
	wg.Wait()
}
