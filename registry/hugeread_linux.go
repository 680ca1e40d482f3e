package registry

import (
	"bytes"
	"errors"
	"io"
	"os"
	"sync"
	"syscall"
	"unsafe"
)

// hugePage is the size of a transparent huge page on linux/amd64 and arm64.
const hugePage = 2 << 20

// readHuge reads the first size bytes of f into anonymous memory that the
// kernel backs with 2 MB transparent huge pages; free releases it.
//
// Scanning a 100 MB file through a mapping of the page cache costs a page
// table entry per 4 KB, and on a virtual machine the walks over 25,000
// fresh entries cost as much again as the scan; reading into Go's heap
// costs a fault per fresh 4 KB page instead. Fifty huge pages, filled by
// read(2) at memory speed, cost neither (BenchmarkReadClaudeMain compares
// the ways). Only where the kernel hands out huge pages on request
// (transparent_hugepage "always" or "madvise"): elsewhere it returns
// errors.ErrUnsupported and the caller maps the file. Where the kernel
// cannot find free huge pages it compacts memory (defrag "madvise") or
// falls back to small ones: slower then, never wrong. The memory is the
// process's only until free: about the file's size, for the length of
// one scan.
func readHuge(f *os.File, size int64) (data []byte, free func(), err error) {
	if !hugePagesOnRequest() {
		return nil, nil, errors.ErrUnsupported
	}
	mem, err := syscall.Mmap(-1, 0, int(size)+hugePage, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		return nil, nil, err
	}
	free = func() { _ = syscall.Munmap(mem) }
	const madvHugepage = 14
	_ = syscall.Madvise(mem, madvHugepage) // refused: small pages, slower and still right
	skip := 0
	if a := uintptr(unsafe.Pointer(&mem[0])) % hugePage; a != 0 {
		skip = int(hugePage - a) // huge pages start on 2 MB boundaries
	}
	data = mem[skip : skip+int(size)]
	// Two halves at once: the copy and the kernel's zeroing of each huge
	// page divide between two cores (46 ms of a 100 MB file's read on one).
	if err := readAtParts(f, data, 2, hugePage); err != nil {
		free()
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF // it shrank while read: the caller reads it the ordinary way
		}
		return nil, nil, err
	}
	return data, free, nil
}

// hugePagesOnRequest reports whether transparent huge pages are enabled
// for memory that asks for them.
var hugePagesOnRequest = sync.OnceValue(func() bool {
	b, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	return err == nil && (bytes.Contains(b, []byte("[always]")) || bytes.Contains(b, []byte("[madvise]")))
})
