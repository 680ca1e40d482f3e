package hugeheap

import (
	"bufio"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// TestSmallObjectsLandInHugePageMemory is the premise: after Prepare, the
// allocator carves the spans of ordinary small objects from the memory
// that asked for huge pages (VmFlags "hg" in /proc/self/smaps). Whether
// the kernel found free huge pages for it is the kernel's business.
func TestSmallObjectsLandInHugePageMemory(t *testing.T) {
	if !hugePagesOnRequest() {
		t.Skip("transparent huge pages are not enabled on request here")
	}
	t.Setenv(Off, "")
	restore, ok := Prepare(32<<20, 400)
	if !ok {
		t.Fatal("Prepare did not ready the heap")
	}
	defer restore()
	// The collection that frees the reserve starts by itself at the next
	// allocations, and runs in the background.
	var st debug.GCStats
	debug.ReadGCStats(&st)
	started := st.NumGC
	for i := 0; st.NumGC == started && i < 1<<16; i++ {
		sink = make([]byte, 1024)
		if i%64 == 0 {
			debug.ReadGCStats(&st) // counts the collections done
		}
	}
	if st.NumGC == started {
		t.Fatal("no collection started after 64 MB of allocation: the reserve is never freed")
	}
	runtime.GC() // wait for it to be swept, as the command does not need to
	type node struct {
		next *node
		name string
		n    [4]int
	}
	nodes := make([]*node, 0, 200_000) // ~13 MB of 64-byte objects
	for i := range cap(nodes) {
		nodes = append(nodes, &node{name: "x", n: [4]int{i}})
	}
	regions := hugeRegions(t)
	in := 0
	for _, n := range nodes {
		a := uintptr(unsafe.Pointer(n))
		for _, r := range regions {
			if a >= r[0] && a < r[1] {
				in++
				break
			}
		}
	}
	if in < len(nodes)*9/10 {
		t.Fatalf("%d of %d small objects are in memory that asked for huge pages (regions %x; objects from %p to %p)", in, len(nodes), regions, nodes[0], nodes[len(nodes)-1])
	}
}

// hugeRegions lists the mappings of this process flagged VM_HUGEPAGE.
func hugeRegions(t *testing.T) [][2]uintptr {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	var out [][2]uintptr
	var cur [2]uintptr
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if lo, hi, ok := vmaRange(line); ok {
			cur = [2]uintptr{lo, hi}
			continue
		}
		if flags, ok := strings.CutPrefix(line, "VmFlags:"); ok && strings.Contains(" "+flags+" ", " hg ") {
			out = append(out, cur)
		}
	}
	return out
}

// vmaRange parses a smaps header line ("lo-hi perms ...").
func vmaRange(line string) (lo, hi uintptr, ok bool) {
	field, _, _ := strings.Cut(line, " ")
	a, b, found := strings.Cut(field, "-")
	if !found {
		return 0, 0, false
	}
	l, err1 := strconv.ParseUint(a, 16, 64)
	h, err2 := strconv.ParseUint(b, 16, 64)
	return uintptr(l), uintptr(h), err1 == nil && err2 == nil
}

// TestPrepareSetsAndRestoresGOGC: prepared, the heap grows to five times
// what is live before a collection; restore puts back what was there.
func TestPrepareSetsAndRestoresGOGC(t *testing.T) {
	const gcPercent = 400
	if !hugePagesOnRequest() {
		t.Skip("transparent huge pages are not enabled on request here")
	}
	t.Setenv(Off, "")
	before := debug.SetGCPercent(123)
	defer debug.SetGCPercent(before)
	restore, ok := Prepare(4<<20, gcPercent)
	if !ok {
		t.Fatal("Prepare did not ready the heap")
	}
	if got := debug.SetGCPercent(gcPercent); got != gcPercent {
		t.Errorf("GOGC while prepared = %d, want %d", got, gcPercent)
	}
	restore()
	if got := debug.SetGCPercent(123); got != 123 {
		t.Errorf("GOGC after restore = %d, want 123", got)
	}
}

var sink []byte

// TestStrictOvercommitReservesNothing: under vm.overcommit_memory 2 the
// reserve counts against the commit limit and a heap that cannot grow is
// fatal, so nothing is reserved then, nor when the mode cannot be read.
func TestStrictOvercommitReservesNothing(t *testing.T) {
	dir := t.TempDir()
	for mode, strict := range map[string]bool{"0\n": false, "1\n": false, "2\n": true} {
		f := dir + "/overcommit_memory"
		if err := os.WriteFile(f, []byte(mode), 0o600); err != nil {
			t.Fatal(err)
		}
		if got := strictOvercommit(f); got != strict {
			t.Errorf("mode %q: strict = %v, want %v", mode, got, strict)
		}
	}
	if !strictOvercommit(dir + "/absent") {
		t.Error("an unreadable mode counts as lenient; it must count as strict")
	}
}
