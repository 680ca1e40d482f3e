package lazyre

import (
	"strings"
	"sync"
	"testing"
)

// TestLazy: the pattern compiles once, on first use, from any number of
// goroutines, and behaves as regexp's.
func TestLazy(t *testing.T) {
	r := New(`^([a-z]+)-(\d+)$`)
	if r.rx != nil {
		t.Fatal("compiled before use")
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if !r.MatchString("abc-12") || r.MatchString("abc") {
				t.Error("MatchString")
			}
		})
	}
	wg.Wait()
	if got := r.FindStringSubmatch("ab-7"); len(got) != 3 || got[2] != "7" {
		t.Errorf("FindStringSubmatch: %q", got)
	}
	if got := r.ReplaceAllStringFunc("x-1", strings.ToUpper); got != "X-1" {
		t.Errorf("ReplaceAllStringFunc: %q", got)
	}
}

// TestCompileAll reports a bad pattern without its use.
func TestCompileAll(t *testing.T) {
	if err := CompileAll(); err != nil {
		t.Fatal(err)
	}
	New(`(unclosed`)
	if err := CompileAll(); err == nil || !strings.Contains(err.Error(), "missing closing )") {
		t.Fatalf("CompileAll: %v", err)
	}
	mu.Lock()
	all = all[:len(all)-1]
	mu.Unlock()
}
