package desktop

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/internal/localstorage"
	"github.com/mcpmend/mcpmend/internal/localstorage/lstest"
	"github.com/mcpmend/mcpmend/registry"
	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/opt"
)

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
		{"corrupt table", lstest.CorruptTable, "checksum"},
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
