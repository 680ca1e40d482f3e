package localstorage

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

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/journal"
	"github.com/syndtr/goleveldb/leveldb/opt"
)

// fixtureDir is the Local Storage database real headless Chromium wrote
// (testdata/mkfixture).
var fixtureDir = filepath.Join("testdata", "chromium-localstorage", "leveldb")

// copyFixture copies a fixture database into a fresh temp dir.
func copyFixture(t testing.TB, src string) string {
	t.Helper()
	dst := t.TempDir()
	if _, err := CopyDBFiles(src, dst); err != nil {
		t.Fatal(err)
	}
	return dst
}

// keyHas classifies items whose stored key contains s (Latin-1 keys only):
// enough for tests of the scan itself; name matching is the caller's.
func keyHas(s string) Classify {
	return func(encKey, _ []byte) int {
		if strings.Contains(string(encKey), s) {
			return 1
		}
		return 0
	}
}

func mustDamaged(t *testing.T, dir string, reason string) {
	t.Helper()
	_, err := ScanDir(context.Background(), dir, keyHas("github"))
	var dmg *DamagedError
	if !errors.As(err, &dmg) || dmg.Dir != dir || !strings.Contains(dmg.Reason, reason) {
		t.Fatalf("got %v, want a DamagedError for %s containing %q", err, dir, reason)
	}
}

// TestTwoLogsAreReplayed: a copy caught mid-flush has two logs, which
// goleveldb's read-only open cannot replay; both must still be read, and
// damage in the second still reported.
func TestTwoLogsAreReplayed(t *testing.T) {
	src, want := makeTwoLogDB(t)
	probe := copyFixture(t, src)
	if db, replayed, err := openCopy(probe); err != nil || !replayed {
		t.Fatalf("two logs: replayed=%v err=%v (the read-write fallback was not taken)", replayed, err)
	} else {
		db.Close()
	}
	sc, err := ScanDir(context.Background(), src, keyHas("github"))
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	for _, m := range sc.Matches {
		keys[m.Item.Key] = true
	}
	if sc.Items != want || !keys["mcp:github:frozen1"] || !keys["mcp:github:new"] {
		t.Fatalf("read %d items (want %d), matches %v", sc.Items, want, keys)
	}
	if logs, _ := filepath.Glob(filepath.Join(src, "*.log")); len(logs) != 2 {
		t.Fatalf("the source changed: %v", logs)
	}

	logs, _ := filepath.Glob(filepath.Join(src, "*.log"))
	data, _ := os.ReadFile(logs[1])
	data[len(data)-2] ^= 0xff
	os.WriteFile(logs[1], data, 0o644)
	mustDamaged(t, src, "checksum")
}

// TestObsoleteTableIsNotDamage: a table the manifest recorded and later
// dropped (goleveldb's Close can leave one; LevelDB deletes it on its next
// open) is not damage, unlike one the manifest never recorded.
func TestObsoleteTableIsNotDamage(t *testing.T) {
	dir := copyFixture(t, fixtureDir)
	next, err := manifestNextFile(dir)
	if err != nil || next < 3 {
		t.Fatalf("next file %d, %v", next, err)
	}
	paths, _ := filepath.Glob(filepath.Join(dir, "*.ldb"))
	data, _ := os.ReadFile(paths[0])
	os.WriteFile(filepath.Join(dir, "000002.ldb"), data, 0o644)
	sc, err := ScanDir(context.Background(), dir, keyHas("github"))
	if err != nil || sc.Items != 15 {
		t.Fatalf("with an obsolete table: %v, %+v", err, sc)
	}
	os.WriteFile(filepath.Join(dir, fmt.Sprintf("%06d.ldb", next)), data, 0o644)
	mustDamaged(t, dir, "never recorded it")
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
	item := func(k string) []byte { return ItemRowKey("https://claude.ai", k) }
	val := func(v string) []byte { return EncodeString(v) }
	const seq = 1 << 40 // past any sequence number the tables hold
	writeLog(t, logs[0], seq, [][2][]byte{
		{item("mcp:github:frozen1"), val("a")}, {item("mcp:github:frozen2"), val("b")}, {item("x"), val("c")},
	})
	writeLog(t, filepath.Join(dir, fmt.Sprintf("%06d.log", num+1000)), seq+3, [][2][]byte{
		{item("mcp:github:new"), val("🐙")}, {item("y"), val("d")}, {item("x"), nil},
	})
	return dir, n + 3 + 2 - 1
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
			if err := db.Put(ItemRowKey("https://claude.ai", key), EncodeString(strings.Repeat("v", 100+i)), nil); err != nil {
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
