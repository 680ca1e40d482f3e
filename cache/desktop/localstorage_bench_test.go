package desktop

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/mcpmend/mcpmend/internal/localstorage/lstest"
)

// benchDBBytes is the on-disk size of the generated database:
// $MCPMEND_BENCH_MB megabytes, 200 by default.
func benchDBBytes() int64 {
	if mb, err := strconv.Atoi(os.Getenv("MCPMEND_BENCH_MB")); err == nil && mb > 0 {
		return int64(mb) << 20
	}
	return 200 << 20
}

// readAllFiles is the baseline: read every file of dir once, as a copy would.
func readAllFiles(b *testing.B, dir string, buf []byte) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	for _, e := range entries {
		f, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{f}, buf); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}

// BenchmarkLocalStorageScan compares a full scan (snapshot every file —
// tables hard-linked, the rest copied — open the snapshot strict, validate
// tables, iterate and match every row, in parallel key ranges at this size)
// with a raw read of the same files, both over the database's on-disk size
// (MB/s). "cold" drops the database's files from the page cache before each
// run (outside the timer; Linux only), as for a first read after boot; "warm"
// reads them from memory. The scan's snapshot is always taken fresh.
//
//	go test -run='^$' -bench=LocalStorageScan -benchtime=5x ./cache/desktop
func BenchmarkLocalStorageScan(b *testing.B) {
	dir := filepath.Join(b.TempDir(), "leveldb")
	size := lstest.MakeBenchDB(b, dir, benchDBBytes())
	fmt.Fprintf(os.Stderr, "generated Local Storage database: %.1f MB\n", float64(size)/(1<<20))
	buf := make([]byte, 1<<20)
	m := NewNameMatcher("github", nil)
	raw := func(b *testing.B) { readAllFiles(b, dir, buf) }
	scan := func(b *testing.B) {
		sc, err := Scan(context.Background(), dir, m)
		if err != nil {
			b.Fatal(err)
		}
		if len(sc.Matches) == 0 {
			b.Fatal("no matches")
		}
	}
	for _, temp := range []string{"cold", "warm"} {
		for _, c := range []struct {
			name string
			run  func(*testing.B)
		}{{"raw-read", raw}, {"scan", scan}} {
			b.Run(temp+"/"+c.name, func(b *testing.B) {
				if temp == "cold" && !evictFiles(dir) {
					b.Skip("cannot drop files from the page cache on this OS")
				}
				b.SetBytes(size)
				for b.Loop() {
					b.StopTimer()
					if temp == "cold" {
						evictFiles(dir)
					} else {
						readAllFiles(b, dir, buf)
					}
					b.StartTimer()
					c.run(b)
				}
			})
		}
	}
}
