package jsonout

import (
	"runtime"
	"sync"

	"github.com/mcpmend/mcpmend/cache"
)

// parallelStates is the number of states from which PendingStates works
// on another core. At 15,000 servers the states are a third of the output
// but two thirds of the encoding time: their keys must be sorted (as
// encoding/json sorts a map's) and each summary is found by its key.
var parallelStates = 2048

// PendingStates is a states map whose encoding has begun on another core:
// its keys are sorted and the second half of its members encoded while the
// caller writes what precedes it (list's servers); Write then encodes the
// first half and splices the second in.
type PendingStates struct {
	m      map[string]cache.Summary
	keys   []string
	half   int     // members from keys[half] are in tail
	tail   *Writer // nil: Write encodes everything itself
	wg     sync.WaitGroup
	sorted chan struct{} // closed once keys is sorted
}

// StartStates begins encoding m, to be written as a member of the object
// w is in now (and so two levels below it), after at least one other
// member. A small map, or a single core, is left to Write.
func (w *Writer) StartStates(m map[string]cache.Summary) *PendingStates {
	p := &PendingStates{m: m}
	if len(m) < parallelStates || runtime.GOMAXPROCS(0) < 2 {
		return p
	}
	p.tail = w.fork(1)
	p.sorted = make(chan struct{})
	p.wg.Go(func() {
		p.keys = sortedKeys(m)
		p.half = len(p.keys) / 2
		close(p.sorted)
		size := 0
		for _, k := range p.keys[p.half:] {
			size += len(k) + 192 // a summary is ~160 bytes besides its key, indented
		}
		p.tail.buf = make([]byte, 0, size)
		p.tail.stateMembers(m, p.keys[p.half:])
	})
	return p
}

// Write writes the states object (the map must not have changed since
// StartStates).
func (p *PendingStates) Write(w *Writer) {
	if p.tail == nil {
		w.States(p.m)
		return
	}
	<-p.sorted
	w.BeginObject()
	w.stateMembers(p.m, p.keys[:p.half])
	p.wg.Wait()
	w.join(p.tail)
	w.EndObject()
}
