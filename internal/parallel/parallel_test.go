package parallel_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/mcpmend/mcpmend/internal/parallel"
)

// TestForCallsEachIndexOnce checks short and long lists alike: every index
// is called exactly once, whatever the split.
func TestForCallsEachIndexOnce(t *testing.T) {
	for _, n := range []int{0, 1, 255, 256, 511, 512, 10_000} {
		calls := make([]atomic.Int32, n)
		parallel.For(n, func(i int) { calls[i].Add(1) })
		for i := range calls {
			if got := calls[i].Load(); got != 1 {
				t.Fatalf("n=%d: index %d called %d times", n, i, got)
			}
		}
	}
}

func ExampleFor() {
	squares := make([]int, 1000)
	parallel.For(len(squares), func(i int) { squares[i] = i * i })
	fmt.Println(squares[999])
	// Output: 998001
}
