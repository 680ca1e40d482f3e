// Package hugeheap readies the Go heap of a short-lived command for a
// burst of allocation: `mcpmend list` or `checkup` on a ~/.claude.json of
// 15,000 servers allocates some 30 MB in a fresh process, and every fresh
// 4 KB page of it costs the kernel a fault on first touch. On a virtual
// machine a fault costs about 5 µs: discovery of those servers took 90 ms
// of which two thirds were faults and the garbage collector's cycles over
// a heap that was still growing.
//
// Prepare grows the heap once by memory the kernel backs with 2 MB
// transparent huge pages (one fault per 2 MB, zeroed at memory speed) and
// frees it at once, so the allocator's next spans come from it; it also
// lets the heap grow to several times what is live before a collection
// (GOGC as the caller says: 400 is five times, not twice), which a
// command that exits in a fraction of a second can afford. The same
// discovery then took 30 ms (bench/list measures the whole command both
// ways).
//
// Only on linux with transparent huge pages on request (enabled "always"
// or "madvise") and lenient overcommit accounting (not mode 2, where the
// reserve would count against the commit limit); elsewhere, or with
// MCPMEND_HUGEHEAP=off, Prepare does nothing. The memory is only address space until touched: what the
// command never uses is never faulted in. Where the kernel has no free
// huge page it compacts memory or falls back to small pages: slower then,
// never wrong.
//
// It imports nothing of mcpmend's.
package hugeheap

import (
	"os"
	"runtime/debug"
)

// Off is the environment variable that turns Prepare off ("off").
const Off = "MCPMEND_HUGEHEAP"

// Prepare readies the heap for about size bytes of allocation (see the
// package doc) and sets GOGC to gcPercent (400: collect when the heap has
// grown to five times what the last collection kept, not twice; a command
// whose live heap stays small may afford more). It returns what undoes
// the setting of GOGC (tests run commands in one process; a command's
// process just exits), and reports whether the heap was readied.
func Prepare(size, gcPercent int) (restore func(), ok bool) {
	if size <= 0 || gcPercent <= 0 || os.Getenv(Off) == "off" || !hugePagesOnRequest() {
		return func() {}, false
	}
	// No collection while the object is made: one would start at once
	// (the heap is suddenly far over its goal), find the object still in
	// use, and free nothing; the one that starts after it is dropped
	// frees it.
	old := debug.SetGCPercent(-1)
	ok = reserve(size)
	if !ok {
		debug.SetGCPercent(old)
		return func() {}, false
	}
	debug.SetGCPercent(gcPercent)
	return func() { debug.SetGCPercent(old) }, true
}
