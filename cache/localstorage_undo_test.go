//go:build unix

package cache

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/syndtr/goleveldb/leveldb"

	"github.com/mcpmend/mcpmend/cache/desktop"
	"github.com/mcpmend/mcpmend/cache/internal/storetest"
	"github.com/mcpmend/mcpmend/cache/journal"
	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/internal/localstorage"
	"github.com/mcpmend/mcpmend/internal/localstorage/lstest"
	"github.com/mcpmend/mcpmend/internal/testfs"
)

// Undo of a Claude Desktop reset never throws away what the app wrote
// since (internal/localstorage doc.go, "Undo").

// newestLog is the path of dir's highest-numbered log.
func newestLog(t testing.TB, dir string) string {
	t.Helper()
	logs, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	if len(logs) == 0 {
		t.Fatal("no log")
	}
	sort.Strings(logs)
	return logs[len(logs)-1]
}

// appendHalfRecord appends what a writer killed mid-append leaves: a FULL
// chunk header announcing 200 bytes and only 60 of them.
func appendHalfRecord(t testing.TB, dir string) {
	t.Helper()
	p := newestLog(t, dir)
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	var torn []byte
	if left := 32<<10 - fi.Size()%(32<<10); left < 7 {
		torn = make([]byte, left) // the block trailer a writer pads with
	}
	torn = binary.LittleEndian.AppendUint32(torn, 0x5eed1234)
	torn = binary.LittleEndian.AppendUint16(torn, 200)
	torn = append(torn, 1)
	torn = append(torn, strings.Repeat("\x01torn-write", 6)...)
	f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(torn); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// cutLog cuts the newest log of dir n bytes short: its last record torn.
func cutLog(t testing.TB, dir string, n int64) {
	t.Helper()
	p := newestLog(t, dir)
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(p, fi.Size()-n); err != nil {
		t.Fatal(err)
	}
}

// appWrites opens the live database as the app would (goleveldb standing
// in for Chromium) and puts each row in its own synced write.
func appWrites(t testing.TB, dir string, rows ...[2]string) {
	t.Helper()
	db, err := leveldb.OpenFile(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := db.Put(localstorage.ItemRowKey("https://claude.ai", r[0]), localstorage.EncodeString(r[1]), nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// withRemovedBack is rows (as LevelDB reads the live database) plus the
// rows of old that the reset removed and that are absent from rows: what an
// undo that keeps the app's writes must leave.
func withRemovedBack(rows, old, reset map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range rows {
		out[k] = v
	}
	for k, v := range old {
		if _, kept := reset[k]; kept {
			continue
		}
		if _, ok := out[k]; !ok {
			out[k] = v
		}
	}
	return out
}

// mustStrictFail checks the live database fails mcpmend's strict read: the
// state in which undo used to put the whole backup back.
func mustStrictFail(t testing.TB, dir string) {
	t.Helper()
	var de *store.DamagedError
	if _, err := desktop.Scan(context.Background(), dir, nil); !errors.As(err, &de) {
		t.Fatalf("the strict read accepts the damaged database: %v", err)
	}
}

// undoneReason undoes e and returns the Local Storage step's reason.
func undoneReason(t *testing.T, home string, e *journal.Entry) string {
	t.Helper()
	got, err := journal.Open(storetest.Env(home), nil).Undo(context.Background(), e.ID)
	if err != nil {
		t.Fatalf("undo: %v", err)
	}
	if st := statuses(got); st != "undone" {
		t.Fatalf("status after undo: %s", st)
	}
	return got.Steps[0].Reason
}

// TestLocalStorageUndoKeepsWritesAfterATornLog: after a reset the app
// writes a new item and is killed mid-append (the log's last record cut
// short, or half a record appended). LevelDB reads that as a clean end; undo
// must put the removed rows back into exactly what LevelDB reads — the new
// item kept, the torn write gone — and say so.
func TestLocalStorageUndoKeepsWritesAfterATornLog(t *testing.T) {
	tears := map[string]func(t testing.TB, dir string){
		"last record cut short": func(t testing.TB, dir string) {
			appWrites(t, dir, [2]string{"mcp:torn", strings.Repeat("t", 300)})
			cutLog(t, dir, 40)
		},
		"half a record appended": appendHalfRecord,
	}
	for name, tear := range tears {
		t.Run(name, func(t *testing.T) {
			home, dir := desktopHome(t)
			old := dbRows(t, dir)
			e := runDesktopReset(t, home, "github")
			reset := dbRows(t, dir)
			appWrites(t, dir, [2]string{"written-after-the-reset", "KEEP-ME"})
			tear(t, dir)
			mustStrictFail(t, dir)
			asLevelDB := dbRows(t, dir)
			newer := localstorage.ItemRowKey("https://claude.ai", "written-after-the-reset")
			if _, ok := asLevelDB[string(newer)]; !ok {
				t.Fatal("LevelDB does not read the newer item: the tear went too far")
			}
			reason := undoneReason(t, home, e)
			after := dbRows(t, dir)
			if d := diffRows(withRemovedBack(asLevelDB, old, reset), after); len(d) > 0 {
				t.Fatalf("after undo: %v", d)
			}
			if after[string(newer)] != string(localstorage.EncodeString("KEEP-ME")) {
				t.Fatal("the item written after the reset is gone")
			}
			if _, err := desktop.Scan(context.Background(), dir, nil); err != nil {
				t.Fatalf("after undo the database does not read strictly: %v", err)
			}
			if !strings.Contains(reason, "put back the") || !strings.Contains(reason, "cut short") || strings.Contains(reason, "whole") {
				t.Fatalf("the undo's answer: %q", reason)
			}
		})
	}
}

// TestLocalStorageUndoReplacesItsOwnDamagedInstall: a database that fails
// the strict read while CURRENT still names the manifest mcpmend installed,
// every installed file is as it was installed, and nothing is newer, is
// mcpmend's own doing (the app has not written a byte since): undo puts the
// whole backup back, and says so. The install writing a table that does not
// read back is simulated by damaging the table and recording the damaged
// bytes as the installed ones. A reset that verifies drops its whole copy,
// so the backup is the one earlier versions wrote and kept (legacyCopy):
// such backups still undo this way.
func TestLocalStorageUndoReplacesItsOwnDamagedInstall(t *testing.T) {
	home, dir := desktopHome(t)
	old := dbRows(t, dir)
	pre := preImage(t, dir)
	e := runDesktopReset(t, home, "github")
	legacyCopy(t, pre, e)
	fakeOwnDamage(t, dir, e)
	reason := undoneReason(t, home, e)
	if d := diffRows(old, dbRows(t, dir)); len(d) > 0 {
		t.Fatalf("after undo: %v", d)
	}
	if _, err := desktop.Scan(context.Background(), dir, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(reason, "whole database was replaced") {
		t.Fatalf("the undo's answer: %q", reason)
	}
}

// fakeOwnDamage damages the installed tables of dir and records the damaged
// bytes as what e's install wrote: the database then fails the strict read
// and is provably mcpmend's own (OwnInstall).
func fakeOwnDamage(t *testing.T, dir string, e *journal.Entry) {
	t.Helper()
	lstest.CorruptTable(t, dir)
	mustStrictFail(t, dir)
	recPath := filepath.Join(e.Dir(), e.Steps[0].Backup) + localstorage.InstallExt
	rec, err := localstorage.ReadRecord(recPath)
	if err != nil || rec == nil || len(rec.Installed) == 0 {
		t.Fatalf("install record: %+v %v", rec, err)
	}
	for n := range rec.Installed {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.Sum256(b)
		rec.Installed[n] = localstorage.FileSum{Size: int64(len(b)), SHA256: hex.EncodeToString(h[:])}
	}
	b, _ := json.Marshal(rec)
	if err := os.WriteFile(recPath, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if why, ours := localstorage.OwnInstall(dir, rec); !ours {
		t.Fatalf("the faked damage is not provably ours: %s", why)
	}
}

// TestLocalStorageUndoRefusesDamageNotOurs: a database that reads neither
// strictly nor as LevelDB would, and is not provably what mcpmend's install
// left, is refused with the directory and what was found — and not one
// byte of it changes.
func TestLocalStorageUndoRefusesDamageNotOurs(t *testing.T) {
	cases := []struct {
		name   string
		damage func(t *testing.T, dir string)
		want   string
	}{
		{"a table damaged since the reset", lstest.CorruptTable, "changed since mcpmend installed it"},
		{"the app wrote, then its log was damaged mid-way", func(t *testing.T, dir string) {
			appWrites(t, dir, [2]string{"a", strings.Repeat("a", 200)}, [2]string{"b", "bb"}, [2]string{"c", "cc"})
			p := newestLog(t, dir)
			data, _ := os.ReadFile(p)
			data[20] ^= 0x40
			os.WriteFile(p, data, 0o644)
		}, "followed by more data"},
		{"a table the manifest never recorded", func(t *testing.T, dir string) {
			paths, _ := filepath.Glob(filepath.Join(dir, "*.ldb"))
			data, _ := os.ReadFile(paths[0])
			os.WriteFile(filepath.Join(dir, "009999.ldb"), data, 0o644)
		}, "is newer than mcpmend's install"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			home, dir := desktopHome(t)
			e := runDesktopReset(t, home, "github")
			c.damage(t, dir)
			mustStrictFail(t, dir)
			before := testfs.DirDigest(t, dir)
			_, err := journal.Open(storetest.Env(home), nil).Undo(context.Background(), e.ID)
			var de *store.DamagedError
			if !errors.As(err, &de) || de.File != dir || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "undo changed nothing") {
				t.Fatalf("undo: %v, want a refusal naming %s and %q", err, dir, c.want)
			}
			if testfs.DirDigest(t, dir) != before {
				t.Fatal("a refused undo changed files")
			}
			st := onlyEntry(t, storetest.Env(home))
			if statuses(st) != "applied" || !strings.Contains(st.Steps[0].Reason, "undo refused") {
				t.Fatalf("after a refused undo: %s %q", statuses(st), st.Steps[0].Reason)
			}
		})
	}
}

// TestLocalStorageUndoOfATornLogCrash kills the undo of a database with a
// torn log at each of its points: LevelDB then reads the torn database or
// the undone one, never a mix, and the next start finishes the undo with the
// app's newer item kept.
func TestLocalStorageUndoOfATornLogCrash(t *testing.T) {
	pts := []string{"journal-before-restore", "localstorage-after-batch", "localstorage-mid-install", "localstorage-before-commit", "localstorage-after-commit"}
	for _, pt := range pts {
		t.Run(pt, func(t *testing.T) {
			home, dir := desktopHome(t)
			old := dbRows(t, dir)
			e := runDesktopReset(t, home, "github")
			reset := dbRows(t, dir)
			appWrites(t, dir, [2]string{"written-after-the-reset", "KEEP-ME"})
			appendHalfRecord(t, dir)
			torn := dbRows(t, dir)
			undone := withRemovedBack(torn, old, reset)
			if !crashHelper(t, home, "undo", pt, "RESET_ID="+e.ID) {
				t.Fatalf("not killed at %s", pt)
			}
			oldOrNew(t, dbRows(t, dir), torn, undone, "after the kill")
			env := storetest.Env(home)
			if _, err := journal.ResumePending(context.Background(), env, nil); err != nil {
				t.Fatal(err)
			}
			if st := statuses(onlyEntry(t, env)); st != "undone" {
				t.Fatalf("after the next start: %s %q", st, onlyEntry(t, env).Steps[0].Reason)
			}
			if d := diffRows(undone, dbRows(t, dir)); len(d) > 0 {
				t.Fatalf("undo not completed: %v", d)
			}
			if localstorage.HasWholeBackup(filepath.Join(stepDir(e), "undo")) {
				t.Error("the undo's own whole copy was left behind")
			}
			if _, err := desktop.Scan(context.Background(), dir, nil); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestLocalStorageVerifyReadsATornLog: after a reset, an app killed
// mid-append leaves a torn log; Verify reads it as LevelDB does and finds
// the reset in place, instead of an error that would roll the reset back.
func TestLocalStorageVerifyReadsATornLog(t *testing.T) {
	home, dir := desktopHome(t)
	e := runDesktopReset(t, home, "github")
	appWrites(t, dir, [2]string{"written-after-the-reset", "KEEP-ME"})
	appendHalfRecord(t, dir)
	mustStrictFail(t, dir)
	var m desktop.Delete
	if err := json.Unmarshal(e.Steps[0].Spec, &m); err != nil {
		t.Fatal(err)
	}
	before := testfs.DirDigest(t, dir)
	applied, err := m.Verify(context.Background(), filepath.Join(e.Dir(), e.Steps[0].Backup))
	if err != nil || !applied {
		t.Fatalf("Verify of a reset database with a torn log = %v, %v; want applied", applied, err)
	}
	if testfs.DirDigest(t, dir) != before {
		t.Fatal("Verify changed the database")
	}
}
