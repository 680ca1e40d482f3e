package jsonout

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Batches of parallelBatch members are encoded on other cores once an
// array has parallelMin members: a checkup's 15,000 reports are 45 MB.
// A batch of 16 reports (~3 KB each, indented) fits the chunk-sized buffer
// it is encoded into, which then never grows.
var (
	parallelMin   = 512
	parallelBatch = 16
)

// Elems writes n members of the array w is in, elem(sub, i) writing member
// i (its Elem included) to the Writer it is given. A long array is encoded
// on every core: workers encode batches of members into buffers of their
// own, which are written in order as they are done; at most two buffers a
// worker are in flight, so memory stays a few chunks however long the
// array.
func (w *Writer) Elems(n int, elem func(sub *Writer, i int)) {
	workers := runtime.GOMAXPROCS(0)
	if n < parallelMin || workers < 2 {
		for i := range n {
			elem(w, i)
		}
		return
	}
	batches := (n + parallelBatch - 1) / parallelBatch
	done := make([]chan *Writer, batches)
	for i := range done {
		done[i] = make(chan *Writer, 1)
	}
	free := make(chan *Writer, 2*workers) // a buffer taken is a batch in flight
	for range cap(free) {
		free <- &Writer{buf: make([]byte, 0, chunk), indent: w.indent}
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				sub := <-free
				b := int(next.Add(1) - 1)
				if b >= batches {
					free <- sub
					return
				}
				sub.buf, sub.err, sub.depth = sub.buf[:0], nil, w.depth
				sub.open = b == 0 && w.open // the first member has no comma before it
				for i := b * parallelBatch; i < min(n, (b+1)*parallelBatch); i++ {
					elem(sub, i)
				}
				done[b] <- sub
			}
		})
	}
	for b := range batches {
		sub := <-done[b]
		w.join(sub)
		free <- sub
	}
	wg.Wait()
}
