package localstorage

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mcpmend/mcpmend/internal/testfs"
	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/opt"
	"github.com/syndtr/goleveldb/leveldb/storage"
	"github.com/syndtr/goleveldb/leveldb/table"
)

// churnOrigins are the storage keys makeChurnDB writes: plain, file:// and
// partitioned.
var churnOrigins = []string{"https://claude.ai", "file://", "https://a.example/^0https://b.example", "app://desktop"}

// makeChurnDB writes a Chromium-format database with goleveldb of about
// want bytes of tables: items put, overwritten and deleted in many small
// batches with a small write buffer, so rows lie in tables on several levels
// (overlapping level-0 tables included), with older versions and deletion
// markers below newer ones, and the last batch only in the log. Keys and
// values are Latin-1 and UTF-16; some keys name "github", some values mention
// it. It returns the directory and the live rows as the test's own model.
func makeChurnDB(t testing.TB, want int64) (string, map[string][]byte) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "leveldb")
	db, err := leveldb.OpenFile(dir, &opt.Options{WriteBuffer: 256 << 10, CompactionTableSize: 512 << 10})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	live := map[string][]byte{}
	var keys []string
	raw := make([]byte, 600)
	put := func(b *leveldb.Batch, k, v []byte) {
		b.Put(k, v)
		live[string(k)] = v
	}
	value := func() []byte {
		for i := range raw {
			raw[i] = byte(rng.Uint32())
		}
		v := `{"n":` + strconv.Itoa(rng.IntN(1000)) + `,"blob":"` + base64.StdEncoding.EncodeToString(raw) + `"}`
		switch rng.IntN(10) {
		case 0:
			v = `{"servers":["github","slack"],"pad":"` + v[:40] + `"}`
		case 1:
			v = `{"pinned":["github-tools","github"],"icon":"🐙"}`
		case 2:
			v += "🐙"
		}
		return EncodeString(v)
	}
	batch := new(leveldb.Batch)
	batch.Put([]byte(VersionKey), []byte("1"))
	live[VersionKey] = []byte("1")
	for i, o := range churnOrigins {
		put(batch, []byte(MetaPrefix+o), metaProto(13300000000000000+uint64(i), 100))
		if i%2 == 0 {
			put(batch, []byte(MetaAccessPrefix+o), metaProto(13300000000000000, 0))
		}
	}
	for n := 0; ; n++ {
		for range 50 {
			switch r := rng.IntN(100); {
			case r < 10 && len(keys) > 0: // delete
				k := keys[rng.IntN(len(keys))]
				batch.Delete([]byte(k))
				delete(live, k)
			case r < 25 && len(keys) > 0: // overwrite
				put(batch, []byte(keys[rng.IntN(len(keys))]), value())
			default:
				origin := churnOrigins[rng.IntN(len(churnOrigins))]
				var key string
				switch rng.IntN(20) {
				case 0:
					key = fmt.Sprintf("mcp:github:item%d", n)
				case 1:
					key = fmt.Sprintf("GitHub:display%d", n)
				case 2:
					key = fmt.Sprintf("mcp:github:名前%d", n)
				case 3:
					key = fmt.Sprintf("mcp:github-tools:item%d", n)
				default:
					key = fmt.Sprintf("mcp:server%d:item%d", rng.IntN(30), n)
				}
				k := ItemRowKey(origin, key)
				put(batch, k, value())
				keys = append(keys, string(k))
			}
		}
		if err := db.Write(batch, nil); err != nil {
			t.Fatal(err)
		}
		batch.Reset()
		if n%20 == 19 {
			var st leveldb.DBStats
			if err := db.Stats(&st); err != nil {
				t.Fatal(err)
			}
			var sum int64
			for _, s := range st.LevelSizes {
				sum += s
			}
			if sum >= want {
				break
			}
		}
	}
	// Close can leave a memtable flush half done (two logs); reopening
	// settles it. The last, small batch then stays in the log: goleveldb's
	// Close does not flush it.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if db, err = leveldb.OpenFile(dir, &opt.Options{WriteBuffer: 256 << 10}); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		k := ItemRowKey("https://claude.ai", fmt.Sprintf("mcp:github:log%d", i))
		put(batch, k, value())
	}
	batch.Delete([]byte(keys[0]))
	delete(live, keys[0])
	if err := db.Write(batch, nil); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, live
}

// modelScan is what a scan of the model rows must find: items per origin and
// every match, in key order, decided by the matcher on decoded strings.
func modelScan(live map[string][]byte, m func(Item) int) (items int, origins map[string]int, matches []string) {
	origins = map[string]int{}
	keys := make([]string, 0, len(live))
	for k := range live {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		it, ok := DecodeItem([]byte(k), live[k])
		if !ok {
			continue
		}
		items++
		origins[it.Origin]++
		if match := m(it); match != 0 {
			matches = append(matches, fmt.Sprintf("%s %s %v", it.Origin, it.Key, match))
		}
	}
	return items, origins, matches
}

func scanSummary(sc *Scan) (origins map[string]int, matches []string) {
	origins = map[string]int{}
	for o, info := range sc.Origins {
		if info.Items > 0 {
			origins[o] = info.Items
		}
	}
	for _, mm := range sc.Matches {
		matches = append(matches, fmt.Sprintf("%s %s %v", mm.Item.Origin, mm.Item.Key, mm.Class))
	}
	return origins, matches
}

// TestScanRangesMatchOneIterator: reading key ranges concurrently and merging
// gives exactly what one iterator over the whole database gives — on the
// real-Chromium fixture and on a database with overwrites and deletions
// across levels and the log — whatever the split keys: row keys, keys between
// rows, bare prefixes, keys past the end, and splitKeys' own.
func TestScanRangesMatchOneIterator(t *testing.T) {
	churn, _ := makeChurnDB(t, 2<<20)
	m := nameClass("github")
	for name, src := range map[string]string{"chromium": fixtureDir, "churn": churn} {
		t.Run(name, func(t *testing.T) {
			dir := copyFixture(t, src)
			man, err := readManifest(dir)
			if err != nil {
				t.Fatal(err)
			}
			db, _, err := openCopy(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			ref := &Scan{Origins: map[string]*OriginInfo{}}
			if err := scanRange(context.Background(), db, nil, ref, m.classify()); err != nil {
				t.Fatal(err)
			}
			if ref.Items == 0 || len(ref.Matches) == 0 {
				t.Fatalf("reference scan found %d items, %d matches", ref.Items, len(ref.Matches))
			}
			var rowKeys [][]byte
			it := db.NewIterator(nil, nil)
			for it.Next() {
				rowKeys = append(rowKeys, bytes.Clone(it.Key()))
			}
			it.Release()
			every := func(n int, f func([]byte) []byte) (out [][]byte) {
				for i := n / 2; i < len(rowKeys); i += n {
					out = append(out, f(rowKeys[i]))
				}
				return out
			}
			splitSets := map[string][][]byte{
				"row keys":     every(max(1, len(rowKeys)/7), bytes.Clone),
				"between rows": every(max(1, len(rowKeys)/5), func(k []byte) []byte { return append(bytes.Clone(k), 0) }),
				"cut keys":     every(max(1, len(rowKeys)/3), func(k []byte) []byte { return bytes.Clone(k[:len(k)/2]) }),
				"prefixes":     {[]byte("META:"), []byte("METAACCESS:"), []byte("VERSION"), []byte("_"), []byte("_https://claude.ai\x00")},
				"past the end": {[]byte("\xff\xff")},
				"splitKeys":    splitKeys(man.tables, 3, 0),
			}
			if len(rowKeys) <= 200 {
				splitSets["every row key"] = every(1, bytes.Clone)
			}
			for name, splits := range splitSets {
				slices.SortFunc(splits, bytes.Compare)
				splits = slices.CompactFunc(splits, bytes.Equal)
				got := &Scan{Origins: map[string]*OriginInfo{}}
				if err := scanRows(context.Background(), db, splits, got, m.classify()); err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, ref) {
					t.Errorf("%s (%d splits): %d items, %d matches; one iterator: %d items, %d matches",
						name, len(splits), got.Items, len(got.Matches), ref.Items, len(ref.Matches))
				}
			}
		})
	}
}

// TestParallelScanOfChurnedDatabase: a database big enough to be read in
// parallel key ranges scans to exactly the model's live rows.
func TestParallelScanOfChurnedDatabase(t *testing.T) {
	dir, live := makeChurnDB(t, parallelMinBytes+parallelMinBytes/4)
	man, err := readManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if splits := splitKeys(man.tables, 2, parallelMinBytes); len(splits) != 1 {
		t.Fatalf("a %d-table database is not split: %q", len(man.tables), splits)
	}
	m := nameClass("github")
	sc, err := ScanDir(context.Background(), dir, m.classify())
	if err != nil {
		t.Fatal(err)
	}
	items, origins, matches := modelScan(live, m.model)
	gotOrigins, gotMatches := scanSummary(sc)
	if sc.Items != items || sc.Undecodable != 0 || sc.Version != "1" {
		t.Fatalf("scan: %d items (%d undecodable), version %q; model: %d items", sc.Items, sc.Undecodable, sc.Version, items)
	}
	if !reflect.DeepEqual(gotOrigins, origins) {
		t.Fatalf("items per origin %v, model %v", gotOrigins, origins)
	}
	if !slices.Equal(gotMatches, matches) {
		i := 0
		for i < min(len(gotMatches), len(matches)) && gotMatches[i] == matches[i] {
			i++
		}
		t.Fatalf("%d matches, model %d; first difference at %d", len(gotMatches), len(matches), i)
	}
	for i, o := range churnOrigins {
		if info := sc.Origins[o]; info == nil || info.Meta == nil || info.HasAccess != (i%2 == 0) {
			t.Fatalf("origin %s: %+v", o, info)
		}
	}
}

// TestSplitKeysBalance: splits come from tables below level 0, strictly
// increasing, with about equal table bytes between them; level-0 tables do
// not pull them; a small database is not split.
func TestSplitKeysBalance(t *testing.T) {
	tables := map[int64]manifestTable{}
	for i := range 100 {
		tables[int64(10+i)] = manifestTable{level: 1 + i%2, size: 1 << 20, minKey: []byte(fmt.Sprintf("_k%03d", i))}
	}
	for i := range 8 {
		tables[int64(200+i)] = manifestTable{level: 0, size: 4 << 20, minKey: []byte("_k000")}
	}
	splits := splitKeys(tables, 4, parallelMinBytes)
	want := []string{"_k025", "_k050", "_k075"}
	if len(splits) != len(want) {
		t.Fatalf("splits %q, want %q", splits, want)
	}
	for i, s := range splits {
		if string(s) != want[i] {
			t.Fatalf("splits %q, want %q", splits, want)
		}
	}
	if s := splitKeys(tables, 1, parallelMinBytes); s != nil {
		t.Fatalf("one part: %q", s)
	}
	small := map[int64]manifestTable{1: {level: 1, size: 1 << 20, minKey: []byte("a")}, 2: {level: 1, size: 1 << 20, minKey: []byte("b")}}
	if s := splitKeys(small, 2, parallelMinBytes); s != nil {
		t.Fatalf("a 2 MB database split: %q", s)
	}
}

// sstLine is one table of goleveldb's "leveldb.sstables" property.
var sstLine = regexp.MustCompile(`^(\d+):(\d+)\[`)

// TestReadManifestAgreesWithGoleveldb: the tables readManifest replays are
// the ones goleveldb opens (number, level, size), and each one's split key
// is the smallest user key actually in the table.
func TestReadManifestAgreesWithGoleveldb(t *testing.T) {
	churn, _ := makeChurnDB(t, 2<<20)
	for _, src := range []string{fixtureDir, churn} {
		dir := copyFixture(t, src)
		man, err := readManifest(dir)
		if err != nil {
			t.Fatal(err)
		}
		db, _, err := openCopy(dir)
		if err != nil {
			t.Fatal(err)
		}
		prop, err := db.GetProperty("leveldb.sstables")
		db.Close()
		if err != nil {
			t.Fatal(err)
		}
		want := map[int64]manifestTable{}
		level := -1
		for _, line := range strings.Split(prop, "\n") {
			if n, ok := strings.CutPrefix(line, "--- level "); ok {
				level, _ = strconv.Atoi(strings.TrimSuffix(n, " ---"))
			}
			if mm := sstLine.FindStringSubmatch(line); mm != nil {
				num, _ := strconv.ParseInt(mm[1], 10, 64)
				size, _ := strconv.ParseInt(mm[2], 10, 64)
				want[num] = manifestTable{level: level, size: size}
			}
		}
		if len(want) == 0 || len(man.tables) != len(want) {
			t.Fatalf("%s: readManifest %d tables, goleveldb %d", src, len(man.tables), len(want))
		}
		for num, w := range want {
			got := man.tables[num]
			if got.level != w.level || got.size != w.size {
				t.Fatalf("%s: table %d: %+v, goleveldb level %d size %d", src, num, got, w.level, w.size)
			}
			if first := firstUserKey(t, filepath.Join(dir, fmt.Sprintf("%06d.ldb", num)), w.size); !bytes.Equal(got.minKey, first) {
				t.Fatalf("%s: table %d: split key %q, first key %q", src, num, got.minKey, first)
			}
		}
	}
}

func firstUserKey(t *testing.T, path string, size int64) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := table.NewReader(f, size, storage.FileDesc{Type: storage.TypeTable}, nil, nil, &opt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	it := r.NewIterator(nil, nil)
	defer it.Release()
	if !it.First() {
		t.Fatalf("%s: empty table", path)
	}
	return bytes.Clone(it.Key()[:len(it.Key())-8])
}

// TestSnapshotLinksOnlyTables: a scan's snapshot shares the tables' bytes
// with the live directory and copies everything that changes in place (logs,
// manifest, CURRENT); LOCK is never taken.
func TestSnapshotLinksOnlyTables(t *testing.T) {
	src := copyFixture(t, fixtureDir)
	os.WriteFile(filepath.Join(src, "LOCK"), nil, 0o644)
	dst := t.TempDir()
	n, linked, err := snapshotDBFiles(src, dst)
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(src)
	if n != len(entries)-1 {
		t.Fatalf("took %d of %d files", n, len(entries))
	}
	if _, err := os.Stat(filepath.Join(dst, "LOCK")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("LOCK copied")
	}
	tables := 0
	for _, e := range entries {
		if e.Name() == "LOCK" {
			continue
		}
		a, _ := os.Stat(filepath.Join(src, e.Name()))
		b, err := os.Stat(filepath.Join(dst, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		shared := os.SameFile(a, b)
		if isTableName(e.Name()) {
			tables++
			if shared != linkTables || slices.Contains(linked, e.Name()) != linkTables {
				t.Errorf("table %s: shared %v, linked %v (linking on: %v)", e.Name(), shared, linked, linkTables)
			}
		} else if shared {
			t.Errorf("%s is shared with the live directory", e.Name())
		}
	}
	if tables == 0 {
		t.Fatal("fixture without tables")
	}
	if err := materializeLinks(dst, linked); err != nil {
		t.Fatal(err)
	}
	for _, name := range linked {
		a, _ := os.Stat(filepath.Join(src, name))
		b, _ := os.Stat(filepath.Join(dst, name))
		da, _ := os.ReadFile(filepath.Join(src, name))
		db, _ := os.ReadFile(filepath.Join(dst, name))
		if os.SameFile(a, b) || !bytes.Equal(da, db) {
			t.Fatalf("%s after materializeLinks: shared %v, same bytes %v", name, os.SameFile(a, b), bytes.Equal(da, db))
		}
	}
}

// TestReplayNeverWritesThroughLinks: a two-log snapshot is opened read-write
// to replay its logs, and goleveldb then creates tables (O_TRUNC) numbered
// after the newest log — the very numbers the app may be writing a
// compaction to. Tables sitting at those numbers in the live directory must
// come out byte for byte unchanged.
func TestReplayNeverWritesThroughLinks(t *testing.T) {
	src, _ := makeTwoLogDB(t)
	var next int64
	logs, _ := filepath.Glob(filepath.Join(src, "*.log"))
	for _, l := range logs {
		num, err := strconv.ParseInt(strings.TrimSuffix(filepath.Base(l), ".log"), 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		next = max(next, num+1)
	}
	paths, _ := filepath.Glob(filepath.Join(src, "*.ldb"))
	data, err := os.ReadFile(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	for num := next; num < next+10; num++ {
		if err := os.WriteFile(filepath.Join(src, fmt.Sprintf("%06d.ldb", num)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	before := testfs.DirDigest(t, src)
	_, err = ScanDir(context.Background(), src, keyHas("github"))
	var dmg *DamagedError
	if !errors.As(err, &dmg) || !strings.Contains(dmg.Reason, "never recorded") {
		t.Fatalf("tables past the manifest: %v", err)
	}
	if testfs.DirDigest(t, src) != before {
		t.Fatal("the scan changed the live directory")
	}
}

// nameClass is a test classifier on decoded strings: 2 when the item's key
// contains name, 1 when only its value does. Its decoded form (model) is
// what a scan through its encoded form (classify) must agree with.
type nameClass string

func (n nameClass) model(it Item) int {
	switch {
	case strings.Contains(it.Key, string(n)):
		return 2
	case strings.Contains(it.Value.Reveal(), string(n)):
		return 1
	}
	return 0
}

func (n nameClass) classify() Classify {
	return func(encKey, value []byte) int {
		k, _, _ := DecodeString(encKey)
		v, _, _ := DecodeString(value)
		return n.model(Item{Key: k, Value: Secret(v)})
	}
}
