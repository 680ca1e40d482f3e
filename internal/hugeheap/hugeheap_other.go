//go:build !linux

package hugeheap

// reserve does nothing: only linux hands out huge pages on request.
func reserve(int) bool { return false }

// hugePagesOnRequest is false: see reserve.
func hugePagesOnRequest() bool { return false }
