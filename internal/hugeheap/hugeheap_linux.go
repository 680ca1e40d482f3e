package hugeheap

import (
	"bytes"
	"os"
	"runtime"
	"sync"
	"syscall"
	"unsafe"
)

// hugePage is the size of a transparent huge page on linux/amd64 and arm64.
const hugePage = 2 << 20

// madvHugepage is MADV_HUGEPAGE (syscall has no name for it).
const madvHugepage = 14

// reserve grows the heap by one object of about size bytes, asks the
// kernel to back it with huge pages, and drops it: the collection that
// frees it starts by itself at the next allocations (the heap is then far
// over its goal) and runs beside the command — waiting for it with
// runtime.GC cost 3–5 ms of a 90 ms list, against under 1 ms of marking
// in the background. Once it is swept, the page allocator hands out the
// lowest free pages first, so the spans that follow are carved from it.
// Nothing touches it here (a fresh object is not cleared), so only what
// is later used is faulted in.
func reserve(size int) bool {
	size = (size + hugePage - 1) &^ (hugePage - 1)
	b := make([]byte, size+hugePage)
	skip := (hugePage - int(uintptr(unsafe.Pointer(&b[0])))%hugePage) % hugePage // huge pages start on 2 MB boundaries
	if err := syscall.Madvise(b[skip:skip+size], madvHugepage); err != nil {
		return false
	}
	runtime.KeepAlive(b) // the last use
	return true
}

// hugePagesOnRequest reports whether transparent huge pages are enabled
// for memory that asks for them, and the reserve cannot cost the process
// its life: under strict overcommit accounting (vm.overcommit_memory 2)
// the reserve's address space counts against the commit limit, and a
// heap that cannot grow past it is a fatal error in Go, not an error.
var hugePagesOnRequest = sync.OnceValue(func() bool {
	b, err := os.ReadFile(thpEnabledFile)
	return err == nil && (bytes.Contains(b, []byte("[always]")) || bytes.Contains(b, []byte("[madvise]"))) && !strictOvercommit(overcommitFile)
})

// The files hugePagesOnRequest reads (variables for the tests).
var (
	thpEnabledFile = "/sys/kernel/mm/transparent_hugepage/enabled"
	overcommitFile = "/proc/sys/vm/overcommit_memory"
)

// strictOvercommit reports whether the kernel accounts every writable
// mapping against its commit limit (mode 2), or cannot say.
func strictOvercommit(file string) bool {
	b, err := os.ReadFile(file)
	return err != nil || string(bytes.TrimSpace(b)) == "2"
}
