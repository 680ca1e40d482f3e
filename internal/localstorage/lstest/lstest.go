// Package lstest holds the Local Storage test helpers that the tests of
// cache and cache/desktop share: a generated Chromium-format database for the
// benchmarks, a table corrupter, and (on Unix) a process holding the
// database's lock the way Chromium does. The digest of a database's files is
// internal/testfs.DirDigest, which internal/localstorage's tests use too.
// Test-only: nothing but _test files imports it. It lives under internal/
// because it writes files, which only code under internal/ does; the tests of
// internal/localstorage itself cannot import it (it imports that package).
package lstest

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/util"

	"github.com/mcpmend/mcpmend/internal/localstorage"
)

// MakeBenchDB writes a Chromium-format Local Storage database of about want
// bytes into dir with goleveldb (Snappy on, its defaults) and returns its
// size on disk: 20 origins, ~2 kB values that are half text and half
// token-like base64 (so compression is realistic), one in ten UTF-16 (an
// emoji), one in a hundred keyed by or mentioning "github".
func MakeBenchDB(b testing.TB, dir string, want int64) int64 {
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
func tablesSize(b testing.TB, db *leveldb.DB) int64 {
	sizes, err := db.SizeOf([]util.Range{{Limit: []byte{0xff}}}) // every row key is below 0xff
	if err != nil {
		b.Fatal(err)
	}
	return sizes.Sum()
}

// dirSize is the total size of the regular files directly in dir.
func dirSize(b testing.TB, dir string) int64 {
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

// CorruptTable flips bytes in the middle of every table of dir. It takes a
// *testing.T so that it fits the damage tables of the tests.
func CorruptTable(t *testing.T, dir string) {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(dir, "*.ldb"))
	if len(paths) == 0 {
		t.Fatal("no table to corrupt")
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for i := len(data) / 3; i < len(data)/3+16; i++ {
			data[i] ^= 0x5a
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
