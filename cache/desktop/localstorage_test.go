package desktop

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/internal/localstorage"
	"github.com/mcpmend/mcpmend/internal/testfs"
	"github.com/mcpmend/mcpmend/registry"
	"github.com/syndtr/goleveldb/leveldb/opt"
	"github.com/syndtr/goleveldb/leveldb/storage"
	"github.com/syndtr/goleveldb/leveldb/table"
)

// fixtureDir is the Local Storage database real headless Chromium wrote
// (internal/localstorage/testdata/mkfixture); fixtureIDB is an IndexedDB database from the same run.
var (
	fixtureDir = filepath.Join("..", "..", "internal", "localstorage", "testdata", "chromium-localstorage", "leveldb")
	fixtureIDB = filepath.Join("..", "..", "internal", "localstorage", "testdata", "chromium-localstorage", "indexeddb.leveldb")
)

// copyFixture copies a fixture database into a fresh temp dir, so tests that
// damage or lock it never touch the committed files.
func copyFixture(t testing.TB, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "leveldb")
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := localstorage.CopyDBFiles(src, dst); err != nil {
		t.Fatal(err)
	}
	return dst
}

// wantGithub is what the fixture's script wrote for the server "github": the
// items the scan must report and how.
var wantGithub = map[string]Match{
	"mcp:github:auth":                          KeyNames, // and again in the partitioned origin
	"mcp-auth-github":                          KeyNames,
	`{"server":"github","kind":"oauth-state"}`: KeyNames,
	"mcp:github:prefs":                         KeyNames,
	"mcp:github:名前":                            KeyNames,
	"GitHub:display":                           KeyOtherCase,
	"recentServers":                            ValueMention,
	"layout":                                   ValueMention,
}

func TestScanChromiumFixture(t *testing.T) {
	before := testfs.DirDigest(t, fixtureDir)
	sc, err := Scan(context.Background(), fixtureDir, NewNameMatcher("github", []string{"github-tools"}))
	if err != nil {
		t.Fatal(err)
	}
	if after := testfs.DirDigest(t, fixtureDir); after != before {
		t.Fatal("scanning changed the database directory")
	}
	if sc.Version != "1" || sc.Lock.Held || sc.Attempts != 1 || sc.Undecodable != 0 {
		t.Fatalf("scan = version %q lock %+v attempts %d undecodable %d", sc.Version, sc.Lock, sc.Attempts, sc.Undecodable)
	}

	// Two storage keys, never hard-coded: the page's origin and the
	// partitioned one of its cross-site iframe.
	var page, part string
	for origin := range sc.Origins {
		switch {
		case strings.HasPrefix(origin, "http://127.0.0.1:"):
			page = origin
		case strings.HasPrefix(origin, "http://localhost:") && strings.HasSuffix(origin, "/^0http://127.0.0.1"):
			part = origin
		default:
			t.Errorf("unexpected storage key %q", origin)
		}
	}
	if page == "" || part == "" {
		t.Fatalf("origins = %v", sc.Origins)
	}
	// 9 keys in batch 1 + filler, 5 more in batch 2, minus the two it removed.
	if got := sc.Origins[page].Items; got != 13 {
		t.Errorf("%s has %d items, want 13", page, got)
	}
	if got := sc.Origins[part].Items; got != 2 {
		t.Errorf("%s has %d items, want 2", part, got)
	}
	for origin, oi := range sc.Origins {
		if oi.Meta == nil || !oi.HasAccess || oi.Meta.Size <= 0 || oi.Meta.LastModified.Year() < 2024 || oi.Meta.LastModified.After(time.Now()) {
			t.Errorf("%s meta = %+v access %v", origin, oi.Meta, oi.HasAccess)
		}
	}

	got := map[string]Match{}
	for _, m := range sc.Matches {
		if prev, dup := got[m.Item.Key]; dup && !(m.Item.Key == "mcp:github:auth" && prev == KeyNames) {
			t.Errorf("duplicate match %q", m.Item.Key)
		}
		got[m.Item.Key] = Match(m.Class)
		if it, ok := localstorage.DecodeItem(m.RowKey, m.RowValue); !ok || it.Key != m.Item.Key || it.Value != m.Item.Value {
			t.Errorf("raw row of %q does not decode back", m.Item.Key)
		}
		if resettable(m) != (Match(m.Class) == KeyNames) {
			t.Errorf("%q: Resettable %v for %v", m.Item.Key, resettable(m), Match(m.Class))
		}
	}
	if len(sc.Matches) != len(wantGithub)+1 {
		t.Errorf("%d matches, want %d", len(sc.Matches), len(wantGithub)+1)
	}
	for k, w := range wantGithub {
		if got[k] != w {
			t.Errorf("%q: match %v, want %v", k, got[k], w)
		}
	}

	// Encodings as Chromium chose them.
	for _, m := range sc.Matches {
		it := m.Item
		switch it.Key {
		case `{"server":"github","kind":"oauth-state"}`:
			if it.Value.Reveal() != "café" || it.ValueEncoding != localstorage.Latin1 || !bytes.Equal(m.RowValue, []byte("\x01caf\xe9")) {
				t.Errorf("café item: %q %v % x", it.Value.Reveal(), it.ValueEncoding, m.RowValue)
			}
		case "mcp:github:prefs":
			if !strings.Contains(it.Value.Reveal(), "🐙") || it.ValueEncoding != localstorage.UTF16LE {
				t.Errorf("emoji item: %q %v", it.Value.Reveal(), it.ValueEncoding)
			}
		case "mcp:github:名前":
			if it.KeyEncoding != localstorage.UTF16LE {
				t.Errorf("UTF-16 key decoded as %v", it.KeyEncoding)
			}
		case "layout":
			if it.ValueEncoding != localstorage.UTF16LE {
				t.Errorf("layout should be UTF-16 (it holds an emoji): %v", it.ValueEncoding)
			}
		}
	}
}

// TestFixtureSpansTableAndLog checks the fixture is what it claims: batch 1
// in an .ldb table, batch 2 in the .log, read with goleveldb's file readers.
func TestFixtureSpansTableAndLog(t *testing.T) {
	var inTable, inLog bool
	paths, _ := filepath.Glob(filepath.Join(fixtureDir, "*.ldb"))
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := f.Stat()
		r, err := table.NewReader(f, fi.Size(), storage.FileDesc{Type: storage.TypeTable}, nil, nil, &opt.Options{})
		if err != nil {
			t.Fatal(err)
		}
		it := r.NewIterator(nil, nil)
		for it.Next() {
			if k := it.Key(); len(k) > 8 {
				if item, ok := localstorage.DecodeItem(k[:len(k)-8], it.Value()); ok && item.Key == "mcp-auth-github" {
					inTable = true
				}
			}
		}
		it.Release()
		f.Close()
	}
	logs, _ := filepath.Glob(filepath.Join(fixtureDir, "*.log"))
	for _, p := range logs {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, append([]byte("\x00"), localstorage.EncodeString("mcp:github:prefs")...)) {
			inLog = true
		}
	}
	if !inTable || !inLog {
		t.Fatalf("batch 1 in a table: %v (%v); batch 2 in the log: %v (%v)", inTable, paths, inLog, logs)
	}
}

func TestScanSkipsIndexedDB(t *testing.T) {
	_, err := Scan(context.Background(), fixtureIDB, NewNameMatcher("github", nil))
	var dmg *store.DamagedError
	if !errors.Is(err, localstorage.ErrForeignFormat) || errors.As(err, &dmg) {
		t.Fatalf("IndexedDB (idb_cmp1) gave %v, want ErrForeignFormat and not damage", err)
	}
	// As a store directory it is skipped, not an error.
	recs, err := Store{Dirs: []string{fixtureIDB}, Others: []string{}}.InspectName(context.Background(), registry.Env{}, "github")
	if err != nil || len(recs) != 0 {
		t.Fatalf("InspectName over IndexedDB = %v, %v", recs, err)
	}
}

func TestDesktopRecords(t *testing.T) {
	s := Store{Dirs: []string{fixtureDir}, Others: []string{"github-tools"}}
	recs, err := s.InspectName(context.Background(), registry.Env{}, "github")
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(recs)
	for _, canary := range []string{"CANARY", "0001", "0002", "0004"} {
		if bytes.Contains(out, []byte(canary)) {
			t.Fatalf("records leak %q: %s", canary, out)
		}
	}
	var resettable []string
	for _, r := range recs {
		if r.Store != store.Desktop || r.File != fixtureDir {
			t.Errorf("record %+v", r)
		}
		origin, key, ok := strings.Cut(r.Key, " ")
		if !ok || !strings.HasPrefix(origin, "http://") {
			t.Errorf("key %q is not 'origin key'", r.Key)
		}
		if r.Resettable {
			resettable = append(resettable, key)
			if r.Kind != KindItem || !r.Active {
				t.Errorf("resettable record %+v", r)
			}
		} else if r.Kind != KindMention || r.Active {
			t.Errorf("mention record %+v", r)
		}
	}
	sort.Strings(resettable)
	want := []string{"mcp-auth-github", "mcp:github:auth", "mcp:github:auth", "mcp:github:prefs", "mcp:github:名前", `{"server":"github","kind":"oauth-state"}`}
	sort.Strings(want)
	if strings.Join(resettable, "\n") != strings.Join(want, "\n") {
		t.Errorf("resettable keys = %q, want %q", resettable, want)
	}
	for _, r := range recs {
		switch {
		case strings.HasSuffix(r.Key, `"oauth-state"}`):
			// "oauth" in the key makes it secret-named: length only.
			if !strings.Contains(r.Detail, "Latin-1 value, 4 chars: [redacted]") {
				t.Errorf("café detail: %s", r.Detail)
			}
		case strings.HasSuffix(r.Key, " layout"):
			if !strings.Contains(r.Detail, "never reset") || !strings.Contains(r.Detail, "UTF-16") {
				t.Errorf("layout detail: %s", r.Detail)
			}
		case strings.HasSuffix(r.Key, " mcp-auth-github"):
			if !strings.HasSuffix(r.Detail, ": [redacted]") {
				t.Errorf("a bare token's preview must be redacted: %s", r.Detail)
			}
		}
	}

	// github-tools gets its own items and not github's.
	tools, err := Store{Dirs: []string{fixtureDir}, Others: []string{"github"}}.InspectName(context.Background(), registry.Env{}, "github-tools")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, r := range tools {
		if r.Resettable {
			_, k, _ := strings.Cut(r.Key, " ")
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	if got := strings.Join(keys, ","); got != "github-tools.lastUsed,mcp:github-tools:auth,mcp:github-tools:prefs" {
		t.Errorf("github-tools resettable keys = %s", got)
	}

	// Store contract: claude-desktop servers are inspected, and Claude Code
	// ones (Desktop's Code chat uses their names); no other client's.
	if r, err := s.Inspect(context.Background(), registry.Env{}, registry.Server{Name: "github", Client: registry.Cursor}, time.Now()); r != nil || err != nil {
		t.Errorf("cursor server: %v %v", r, err)
	}
	if r, err := s.Inspect(context.Background(), registry.Env{}, registry.Server{Name: "github", Client: registry.ClaudeCode}, time.Now()); len(r) != len(recs) || err != nil {
		t.Errorf("claude-code server: %d records, %v", len(r), err)
	}
	if r, err := s.Inspect(context.Background(), registry.Env{}, registry.Server{Name: "github", Client: registry.ClaudeDesktop}, time.Now()); len(r) != len(recs) || err != nil {
		t.Errorf("claude-desktop server: %d records, %v", len(r), err)
	}
	if _, err := s.InspectName(context.Background(), registry.Env{}, ""); err == nil {
		t.Error("empty name accepted")
	}
}

// TestDesktopLocateAndInspect puts the fixture where Claude Desktop keeps its
// Local Storage on each OS and inspects by name through the located path.
func TestDesktopLocateAndInspect(t *testing.T) {
	tests := []struct {
		goos string
		vars map[string]string
		dirs []string // relative to home
	}{
		{"linux", nil, []string{".config/Claude/Local Storage/leveldb"}},
		{"linux", map[string]string{"XDG_CONFIG_HOME": "xdg"}, []string{"xdg/Claude/Local Storage/leveldb"}},
		{"darwin", nil, []string{"Library/Application Support/Claude/Local Storage/leveldb"}},
		{"windows", map[string]string{"APPDATA": "AppData/Roaming", "LOCALAPPDATA": "AppData/Local"}, []string{
			"AppData/Local/Packages/Claude_pzs8sxrjxfjjc/LocalCache/Roaming/Claude/Local Storage/leveldb",
			"AppData/Roaming/Claude/Local Storage/leveldb",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.goos+"/"+strings.Join(tt.dirs, ","), func(t *testing.T) {
			home := t.TempDir()
			env := registry.Env{Home: home, GOOS: tt.goos, Getenv: func(k string) string {
				if v, ok := tt.vars[k]; ok {
					return filepath.Join(home, v)
				}
				return ""
			}}
			if got := Dirs(env); len(got) != 0 {
				t.Fatalf("empty home: %v", got)
			}
			recs, err := InspectDesktop(context.Background(), env, "github")
			if err != nil || len(recs) != 0 {
				t.Fatalf("no profile: %v %v", recs, err)
			}
			var want []string
			for _, d := range tt.dirs {
				dir := filepath.Join(home, filepath.FromSlash(d))
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if _, err := localstorage.CopyDBFiles(fixtureDir, dir); err != nil {
					t.Fatal(err)
				}
				want = append(want, dir)
			}
			if got := Dirs(env); strings.Join(got, "|") != strings.Join(want, "|") {
				t.Fatalf("dirs = %q, want %q", got, want)
			}
			recs, err = InspectDesktop(context.Background(), env, "github")
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != len(tt.dirs)*(len(wantGithub)+1) {
				t.Fatalf("%d records from %d profiles", len(recs), len(tt.dirs))
			}
		})
	}
}

func TestScanMissingAndEmpty(t *testing.T) {
	_, err := Scan(context.Background(), filepath.Join(t.TempDir(), "nope"), nil)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing dir: %v", err)
	}
	sc, err := Scan(context.Background(), t.TempDir(), NewNameMatcher("github", nil))
	if err != nil || sc.Items != 0 || len(sc.Origins) != 0 {
		t.Fatalf("empty dir: %+v %v", sc, err)
	}
}
