package desktop

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/mcpmend/mcpmend/internal/localstorage"
	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/util"
)

// benchDBBytes is the on-disk size of the generated database:
// $MCPMEND_BENCH_MB megabytes, 200 by default.
func benchDBBytes() int64 {
	if mb, err := strconv.Atoi(os.Getenv("MCPMEND_BENCH_MB")); err == nil && mb > 0 {
		return int64(mb) << 20
	}
	return 200 << 20
}

// makeBenchDB writes a Chromium-format Local Storage database of about want
// bytes with goleveldb (Snappy on, its defaults): 20 origins, ~2 kB values
// that are half text and half token-like base64 (so compression is
// realistic), one in ten UTF-16 (an emoji), one in a hundred keyed by or
// mentioning "github".
func makeBenchDB(b *testing.B, dir string, want int64) int64 {
	b.Helper()
	db, err := leveldb.OpenFile(dir, nil)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	raw := make([]byte, 768)
	id := 0
	for n := 0; ; n++ {
		batch := new(leveldb.Batch)
		for range 500 {
			id++
			origin := fmt.Sprintf("https://app%d.example", rng.IntN(20))
			key := fmt.Sprintf("mcp:server%d:item%d", rng.IntN(50), id)
			for i := range raw {
				raw[i] = byte(rng.Uint32())
			}
			text := strings.Repeat("the quick brown fox jumps over the lazy dog ", 20)
			val := `{"note":"` + text + `","token":"` + base64.StdEncoding.EncodeToString(raw) + `"}`
			switch r := rng.IntN(100); {
			case r < 1:
				key = "mcp:github:item" + strconv.Itoa(id)
			case r < 2:
				val = `{"servers":["github","slack"],"pad":"` + text + `"}`
			case r < 12:
				val += "🐙"
			}
			batch.Put(localstorage.ItemRowKey(origin, key), localstorage.EncodeString(val))
		}
		if err := db.Write(batch, nil); err != nil {
			b.Fatal(err)
		}
		if n%20 == 19 && tablesSize(b, db) >= want {
			break
		}
		if n > int(want>>20)*8 { // ~1 MB per batch: far past want, stop rather than fill the disk
			b.Fatalf("database did not reach %d bytes", want)
		}
	}
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
	// Close may leave a memtable flush half done (two logs); reopen once so
	// the database is in the settled state an app leaves it in.
	if db, err = leveldb.OpenFile(dir, nil); err != nil {
		b.Fatal(err)
	}
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
	return dirSize(b, dir)
}

// tablesSize is the size of the tables the database's current version
// holds (files on disk double-count while a compaction runs).
func tablesSize(b *testing.B, db *leveldb.DB) int64 {
	sizes, err := db.SizeOf([]util.Range{{Limit: []byte{0xff}}}) // every row key is below 0xff
	if err != nil {
		b.Fatal(err)
	}
	return sizes.Sum()
}

func dirSize(b *testing.B, dir string) int64 {
	entries, err := os.ReadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	var n int64
	for _, e := range entries {
		if fi, err := e.Info(); err == nil && fi.Mode().IsRegular() {
			n += fi.Size()
		}
	}
	return n
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
	size := makeBenchDB(b, dir, benchDBBytes())
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
