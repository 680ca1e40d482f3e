package desktop

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/internal/localstorage"
	"github.com/mcpmend/mcpmend/registry"
	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/journal"
	"github.com/syndtr/goleveldb/leveldb/opt"
)

// corruptTable flips bytes in the middle of every table of dir.
func corruptTable(t *testing.T, dir string) {
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

func mustDamaged(t *testing.T, dir string, reason string) {
	t.Helper()
	_, err := Scan(context.Background(), dir, NewNameMatcher("github", nil))
	var dmg *store.DamagedError
	if !errors.As(err, &dmg) {
		t.Fatalf("got %v, want a DamagedError", err)
	}
	if dmg.File != dir || dmg.Store != store.Desktop || !strings.Contains(dmg.Reason, reason) {
		t.Fatalf("damage = %+v, want reason containing %q", dmg, reason)
	}
	// The store passes it on, and nothing is reported as if it were empty.
	recs, err := Store{Dirs: []string{dir}, Others: []string{}}.InspectName(context.Background(), registry.Env{}, "github")
	if !errors.As(err, &dmg) || len(recs) != 0 {
		t.Fatalf("InspectName = %d records, %v", len(recs), err)
	}
}

func TestDamagedChromiumDatabase(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, dir string)
		reason string
	}{
		{"corrupt table", corruptTable, "checksum"},
		{"missing table", func(t *testing.T, dir string) {
			paths, _ := filepath.Glob(filepath.Join(dir, "*.ldb"))
			os.Remove(paths[0])
		}, "which is missing"},
		{"truncated table", func(t *testing.T, dir string) {
			paths, _ := filepath.Glob(filepath.Join(dir, "*.ldb"))
			fi, _ := os.Stat(paths[0])
			os.Truncate(paths[0], fi.Size()-10)
		}, "the manifest says"},
		{"table not in the manifest", func(t *testing.T, dir string) {
			paths, _ := filepath.Glob(filepath.Join(dir, "*.ldb"))
			data, _ := os.ReadFile(paths[0])
			os.WriteFile(filepath.Join(dir, "000999.ldb"), data, 0o644)
		}, "000999.ldb is not in the manifest"},
		{"empty manifest", func(t *testing.T, dir string) {
			paths, _ := filepath.Glob(filepath.Join(dir, "MANIFEST-*"))
			os.Truncate(paths[0], 0)
		}, "comparer"},
		{"truncated manifest", func(t *testing.T, dir string) {
			paths, _ := filepath.Glob(filepath.Join(dir, "MANIFEST-*"))
			fi, _ := os.Stat(paths[0])
			os.Truncate(paths[0], fi.Size()-3)
		}, "MANIFEST-000001"},
		{"no CURRENT", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "CURRENT"))
		}, "missing or corrupted"},
		{"corrupt log", func(t *testing.T, dir string) {
			paths, _ := filepath.Glob(filepath.Join(dir, "*.log"))
			data, _ := os.ReadFile(paths[0])
			data[len(data)/2] ^= 0xff
			os.WriteFile(paths[0], data, 0o644)
		}, "checksum"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyFixture(t, fixtureDir)
			tt.damage(t, dir)
			mustDamaged(t, dir, tt.reason)
		})
	}
}

// makeMultiTableDB writes a Chromium-format database with goleveldb whose
// manifest has many records (several flushes and compactions), and returns
// its directory and item count.
func makeMultiTableDB(t *testing.T) (string, int) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "leveldb")
	db, err := leveldb.OpenFile(dir, &opt.Options{WriteBuffer: 16 << 10})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for round := range 6 {
		for i := range 200 {
			key := fmt.Sprintf("mcp:server%d:item%d", i%7, round*200+i)
			if err := db.Put(localstorage.ItemRowKey("https://claude.ai", key), localstorage.EncodeString(strings.Repeat("v", 100+i)), nil); err != nil {
				t.Fatal(err)
			}
			n++
		}
		if round%2 == 1 {
			if err := db.CompactRange(struct{ Start, Limit []byte }{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, n
}

// TestTruncatedManifestIsNeverPartial truncates the manifest at many lengths
// (every 7th byte and the last 16): each read is either complete or reported
// damaged — never a fraction of the data shown as if it were all.
func TestTruncatedManifestIsNeverPartial(t *testing.T) {
	src, n := makeMultiTableDB(t)
	manifests, _ := filepath.Glob(filepath.Join(src, "MANIFEST-*"))
	if len(manifests) != 1 {
		t.Fatalf("manifests: %v", manifests)
	}
	full, err := os.ReadFile(manifests[0])
	if err != nil {
		t.Fatal(err)
	}
	damaged, cuts := 0, 0
	for size := range len(full) {
		if size%7 != 0 && size < len(full)-16 {
			continue
		}
		dir := filepath.Join(t.TempDir(), "leveldb")
		os.MkdirAll(dir, 0o755)
		localstorage.CopyDBFiles(src, dir)
		os.WriteFile(filepath.Join(dir, filepath.Base(manifests[0])), full[:size], 0o644)
		cuts++
		sc, err := Scan(context.Background(), dir, nil)
		var dmg *store.DamagedError
		switch {
		case errors.As(err, &dmg):
			damaged++
		case err != nil:
			t.Fatalf("manifest cut to %d bytes: %v", size, err)
		case sc.Items != n:
			t.Fatalf("manifest cut to %d of %d bytes: read %d of %d items without reporting damage", size, len(full), sc.Items, n)
		}
	}
	if damaged == 0 {
		t.Fatal("no truncation was reported damaged")
	}
	t.Logf("%d of %d truncations of a %d-byte manifest reported damaged, the rest read in full", damaged, cuts, len(full))
}

// writeLog writes one LevelDB log holding one write batch at seq: puts of
// kv (a nil value deletes).
func writeLog(t *testing.T, path string, seq uint64, kv [][2][]byte) {
	t.Helper()
	rec := binary.LittleEndian.AppendUint64(nil, seq)
	rec = binary.LittleEndian.AppendUint32(rec, uint32(len(kv)))
	for _, p := range kv {
		if p[1] == nil {
			rec = append(rec, 0) // deletion
			rec = binary.AppendUvarint(rec, uint64(len(p[0])))
			rec = append(rec, p[0]...)
			continue
		}
		rec = append(rec, 1) // value
		rec = binary.AppendUvarint(rec, uint64(len(p[0])))
		rec = append(rec, p[0]...)
		rec = binary.AppendUvarint(rec, uint64(len(p[1])))
		rec = append(rec, p[1]...)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := journal.NewWriter(f)
	jw, err := w.Next()
	if err != nil {
		t.Fatal(err)
	}
	jw.Write(rec)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// makeTwoLogDB builds the state LevelDB is in while it flushes a memtable: a
// frozen log the manifest still points at, and the new log after it. Tables
// hold n items; the frozen log adds 3, the new log adds 2 and deletes one.
func makeTwoLogDB(t *testing.T) (dir string, items int) {
	t.Helper()
	dir, n := makeMultiTableDB(t)
	logs, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	if len(logs) != 1 {
		t.Fatalf("logs: %v", logs)
	}
	num, err := strconv.Atoi(strings.TrimSuffix(filepath.Base(logs[0]), ".log"))
	if err != nil {
		t.Fatal(err)
	}
	item := func(k string) []byte { return localstorage.ItemRowKey("https://claude.ai", k) }
	val := func(v string) []byte { return localstorage.EncodeString(v) }
	const seq = 1 << 40 // past any sequence number the tables hold
	writeLog(t, logs[0], seq, [][2][]byte{
		{item("mcp:github:frozen1"), val("a")}, {item("mcp:github:frozen2"), val("b")}, {item("x"), val("c")},
	})
	writeLog(t, filepath.Join(dir, fmt.Sprintf("%06d.log", num+1000)), seq+3, [][2][]byte{
		{item("mcp:github:new"), val("🐙")}, {item("y"), val("d")}, {item("x"), nil},
	})
	return dir, n + 3 + 2 - 1
}
