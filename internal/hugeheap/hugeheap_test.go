package hugeheap

import (
	"runtime/debug"
	"testing"
)

// TestOffAndNothingDoNothing: MCPMEND_HUGEHEAP=off, or nothing to
// allocate, leaves the heap and GOGC alone on every system.
func TestOffAndNothingDoNothing(t *testing.T) {
	before := debug.SetGCPercent(77)
	defer debug.SetGCPercent(before)
	t.Setenv(Off, "off")
	if _, ok := Prepare(64<<20, 400); ok {
		t.Error("Prepare readied the heap with " + Off + "=off")
	}
	t.Setenv(Off, "")
	if _, ok := Prepare(0, 400); ok {
		t.Error("Prepare(0, 400) readied the heap")
	}
	if got := debug.SetGCPercent(77); got != 77 {
		t.Errorf("GOGC = %d, want 77 (untouched)", got)
	}
}
