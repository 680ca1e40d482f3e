//go:build !linux

package desktop

// evictFiles cannot drop single files from the page cache here: cold
// benchmarks are skipped.
func evictFiles(dir string) bool { return false }
