package localstorage

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/journal"
	"github.com/syndtr/goleveldb/leveldb/opt"
)

// makeLogDB writes a database whose rows all sit in one log (no table):
// small records over several blocks, one record spanning three blocks, and
// a last small record. It returns the directory and the log's path.
func makeLogDB(t *testing.T) (string, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "leveldb")
	db, err := leveldb.OpenFile(dir, &opt.Options{WriteBuffer: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	put := func(key string, size int) {
		if err := db.Put(ItemRowKey("https://claude.ai", key), EncodeString(strings.Repeat("v", size)), nil); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 200 {
		put(fmt.Sprintf("item%03d", i), 300)
	}
	put("big", 80<<10)
	for i := range 50 {
		put(fmt.Sprintf("after%03d", i), 300)
	}
	put("last", 500)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	logs, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	if len(logs) != 1 {
		t.Fatalf("logs: %v", logs)
	}
	return dir, logs[0]
}

// lenientRows is every row as goleveldb's default recovery reads dir
// (StrictJournal off: a torn log tail is dropped), from a private copy.
func lenientRows(t *testing.T, dir string) Rows {
	t.Helper()
	cp := copyFixture(t, dir)
	db, err := leveldb.OpenFile(cp, &opt.Options{ErrorIfMissing: true})
	if err != nil {
		t.Fatalf("goleveldb's recovery cannot open %s: %v", dir, err)
	}
	defer db.Close()
	out := Rows{}
	it := db.NewIterator(nil, nil)
	defer it.Release()
	for it.Next() {
		out[string(it.Key())] = sha256.Sum256(it.Value())
	}
	if err := it.Error(); err != nil {
		t.Fatal(err)
	}
	return out
}

// cutAndRead cuts a copy of dir's torn tail and reads the copy strictly.
func cutAndRead(t *testing.T, dir string) (Torn, Rows, error) {
	t.Helper()
	cp := copyFixture(t, dir)
	torn, err := CutTornTail(cp, dir)
	if err != nil {
		return torn, nil, err
	}
	rows, _, err := ReadRows(context.Background(), cp, dir, nil)
	return torn, rows, err
}

// TestTornLogTailReadsLikeLevelDB cuts the log at many points and appends
// torn writes: the strict read of the cut copy must be exactly goleveldb's
// lenient recovery of the torn database, and the strict read of the torn
// database itself must fail (what made undo replace the whole database).
func TestTornLogTailReadsLikeLevelDB(t *testing.T) {
	src, logPath := makeLogDB(t)
	full, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	all := lenientRows(t, src)
	last := ItemRowKey("https://claude.ai", "last")
	type tc struct {
		name string
		data []byte
	}
	var cases []tc
	for _, back := range []int{1, 7, 100, 400, 512} { // inside the last record
		cases = append(cases, tc{fmt.Sprintf("cut %d bytes", back), full[:len(full)-back]})
	}
	bigStart := strings.Index(string(full), "big") // inside the three-block record
	for _, at := range []int{bigStart + 100, bigStart + logBlock, bigStart + logBlock + 5000} {
		cases = append(cases, tc{fmt.Sprintf("cut at %d (mid multi-block record)", at), full[:at]})
	}
	half := append([]byte{0x12, 0x34, 0x56, 0x78, 200, 0, chunkFull}, strings.Repeat("x", 90)...)
	cases = append(cases,
		tc{"half a record appended", append(append([]byte(nil), full...), half...)},
		tc{"zeros appended", append(append([]byte(nil), full...), make([]byte, 3000)...)},
		tc{"partial header appended", append(append([]byte(nil), full...), 1, 2, 3)},
	)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := copyFixture(t, src)
			os.WriteFile(filepath.Join(dir, filepath.Base(logPath)), c.data, 0o644)
			// goleveldb's strict reader refuses every torn tail but a
			// header cut short at the end of a block, which it too reads
			// as the end.
			_, _, strictErr := ReadRows(context.Background(), copyFixture(t, dir), dir, nil)
			if (strictErr == nil) != (c.name == "partial header appended") {
				t.Fatalf("strict read of the torn log: %v", strictErr)
			}
			torn, rows, err := cutAndRead(t, dir)
			if err != nil {
				t.Fatalf("after cutting %+v: %v", torn, err)
			}
			if torn.Cut == 0 || torn.Kept+torn.Cut != int64(len(c.data)) || torn.Log != filepath.Base(logPath) {
				t.Fatalf("cut %+v of a %d-byte log", torn, len(c.data))
			}
			want := lenientRows(t, dir)
			if d := len(diffHashes(want, rows)); d > 0 || len(rows) == 0 {
				t.Fatalf("%d rows differ from LevelDB's own reading (%d rows)", d, len(rows))
			}
			if _, ok := rows[string(last)]; ok == (len(c.data) < len(full)) {
				t.Fatalf("the last record kept=%v for %s", ok, c.name)
			}
			if len(rows) > len(all) {
				t.Fatalf("%d rows, the whole log holds %d", len(rows), len(all))
			}
		})
	}
}

// TestTornLogNeedsTheStrictReadToFail: a truncated last record fails the
// strict read (the case undo used to answer by replacing everything).
func TestTornLogNeedsTheStrictReadToFail(t *testing.T) {
	src, logPath := makeLogDB(t)
	full, _ := os.ReadFile(logPath)
	os.WriteFile(logPath, full[:len(full)-100], 0o644)
	_, _, err := ReadRows(context.Background(), copyFixture(t, src), src, nil)
	var de *DamagedError
	if !errors.As(err, &de) {
		t.Fatalf("strict read of a torn log: %v", err)
	}
}

// TestLogDamageFollowedByDataIsRefused: unreadable bytes with complete
// records after them are not a torn write: no cut, a *DamagedError naming
// the database and where.
func TestLogDamageFollowedByDataIsRefused(t *testing.T) {
	src, logPath := makeLogDB(t)
	full, _ := os.ReadFile(logPath)
	for _, at := range []int{1000, logBlock + 3} {
		data := append([]byte(nil), full...)
		data[at] ^= 0x40
		os.WriteFile(logPath, data, 0o644)
		cp := copyFixture(t, src)
		torn, err := CutTornTail(cp, src)
		var de *DamagedError
		if !errors.As(err, &de) || de.Dir != src || !strings.Contains(de.Reason, "followed by more data") || torn.Cut != 0 {
			t.Fatalf("damage at %d: %+v %v", at, torn, err)
		}
		if got, _ := os.ReadFile(filepath.Join(cp, filepath.Base(logPath))); len(got) != len(data) {
			t.Fatalf("the copy was cut to %d of %d bytes", len(got), len(data))
		}
	}
}

// TestIntactLogIsNotCut: a clean log (and a database without logs) is left
// alone.
func TestIntactLogIsNotCut(t *testing.T) {
	src, logPath := makeLogDB(t)
	before, _ := os.ReadFile(logPath)
	torn, err := CutTornTail(src, src)
	after, _ := os.ReadFile(logPath)
	if err != nil || torn.Cut != 0 || len(after) != len(before) {
		t.Fatalf("intact log: %+v %v (%d → %d bytes)", torn, err, len(before), len(after))
	}
	if torn, err := CutTornTail(t.TempDir(), src); err != nil || torn.Cut != 0 {
		t.Fatalf("no log: %+v %v", torn, err)
	}
}

// diffHashes lists the keys whose presence or value differs.
func diffHashes(a, b Rows) []string {
	var out []string
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			out = append(out, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	return out
}

// journalBytes writes records through goleveldb's own log writer.
func journalBytes(t testing.TB, records ...[]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := journal.NewWriter(&buf)
	for _, r := range records {
		jw, err := w.Next()
		if err != nil {
			t.Fatal(err)
		}
		jw.Write(r)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// FuzzScanLog: any bytes scan without panicking; the kept part is exactly
// what goleveldb's strict log reader reads without error, record for
// record; and it scans clean again (what CutTornTail relies on).
func FuzzScanLog(f *testing.F) {
	log := journalBytes(f, []byte("one"), bytes.Repeat([]byte("two"), 50), []byte("three"))
	f.Add(log)
	f.Add(log[:len(log)-3])
	f.Add(append(append([]byte(nil), log...), 0x12, 0x34, 0x56, 0x78, 200, 0, 1, 'x'))
	f.Add(make([]byte, 40))
	f.Fuzz(func(t *testing.T, data []byte) {
		s := scanLog(data)
		if s.end < 0 || s.end > len(data) || s.reason != "" && (s.at < s.end || s.at > len(data)) {
			t.Fatalf("scan %+v of %d bytes", s, len(data))
		}
		kept := data[:s.end]
		if again := scanLog(kept); again.reason != "" || again.end != s.end || again.records != s.records {
			t.Fatalf("the kept part scans %+v, first %+v", again, s)
		}
		r := journal.NewReader(bytes.NewReader(kept), nil, true, true)
		n := 0
		for ; ; n++ {
			rr, err := r.Next()
			if err == io.EOF {
				break
			}
			if err == nil {
				_, err = io.ReadAll(rr)
			}
			if err != nil {
				t.Fatalf("goleveldb's strict reader fails on the kept part after %d records: %v", n, err)
			}
		}
		if n != s.records {
			t.Fatalf("goleveldb reads %d records, the scan kept %d", n, s.records)
		}
	})
}
