//go:build unix

package cache

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/syndtr/goleveldb/leveldb"

	"github.com/mcpmend/mcpmend/cache/desktop"
	"github.com/mcpmend/mcpmend/cache/internal/storetest"
	"github.com/mcpmend/mcpmend/cache/journal"
	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/internal/chromiumtest"
	"github.com/mcpmend/mcpmend/internal/localstorage"
	"github.com/mcpmend/mcpmend/registry"
)

// TestLocalStorageUndoAfterRealChromiumWrote: real Chromium opens the
// database a reset installed, a page writes an item, Chromium is killed
// (SIGKILL: no flush) and its log is torn — half a record appended, or its
// last record (a second, later item) cut short. Undo must keep the first
// item, put github's rows back and drop only the torn write — and Chromium,
// started again on the result, must read exactly that.
func TestLocalStorageUndoAfterRealChromiumWrote(t *testing.T) {
	if _, err := os.Stat(chromiumtest.DefaultPath); err != nil || testing.Short() {
		t.Skipf("needs Debian chromium at %s (installed by .ci/run); skipped in -short", chromiumtest.DefaultPath)
	}
	t.Run("half a record appended", func(t *testing.T) { undoAfterChromium(t, false) })
	t.Run("last record cut short", func(t *testing.T) { undoAfterChromium(t, true) })
}

// undoAfterChromium runs one case of TestLocalStorageUndoAfterRealChromiumWrote.
func undoAfterChromium(t *testing.T, cut bool) {
	// The profile is Claude Desktop's userData in a home: Chromium's
	// user-data-dir ~/.config with the profile directory "Claude".
	home, dir := desktopHome(t)
	profile := filepath.Join(home, ".config")
	old := dbRows(t, dir)
	e := resetDir(t, home, dir)
	reset := dbRows(t, dir)

	url := blankPage(t)
	origin := strings.TrimSuffix(url, "/")
	kept := string(localstorage.ItemRowKey(origin, "written-after-the-reset"))
	torn := string(localstorage.ItemRowKey(origin, "torn-write"))
	b := launchChromium(t, profile)
	s, err := b.OpenPage(url)
	if err != nil {
		t.Fatal(err)
	}
	setAndWait(t, b, s, dir, kept, `localStorage.setItem('written-after-the-reset', 'KEEP-ME')`)
	b.Kill()
	if cut {
		// Chromium commits at most about once a minute after its first
		// commit: a second session writes the record that gets torn.
		b = launchChromium(t, profile)
		if s, err = b.OpenPage(url); err != nil {
			t.Fatal(err)
		}
		setAndWait(t, b, s, dir, torn, `localStorage.setItem('torn-write', 'x'.repeat(3000))`)
		b.Kill()
	}
	if cut {
		cutLog(t, dir, 100)
	} else {
		appendHalfRecord(t, dir)
	}
	mustStrictFail(t, dir)
	asLevelDB := dbRows(t, dir)
	if _, ok := asLevelDB[kept]; !ok {
		t.Fatal("LevelDB does not read the first item: the tear went too far")
	}
	if _, ok := asLevelDB[torn]; ok {
		t.Fatal("LevelDB still reads the torn write: the tear missed it")
	}

	reason := undoneReason(t, home, e)
	if d := diffRows(withRemovedBack(asLevelDB, old, reset), dbRows(t, dir)); len(d) > 0 {
		t.Fatalf("after undo: %v", d)
	}
	if !strings.Contains(reason, "put back the") || !strings.Contains(reason, "cut short") {
		t.Fatalf("the undo's answer: %q", reason)
	}
	t.Logf("undo: %s", reason)

	b = launchChromium(t, profile)
	if s, err = b.OpenPage(url); err != nil {
		t.Fatal(err)
	}
	var got struct{ Kept, Torn *string }
	if err := b.Eval(s, `({kept: localStorage.getItem('written-after-the-reset'), torn: localStorage.getItem('torn-write')})`, &got); err != nil {
		t.Fatal(err)
	}
	if got.Kept == nil || *got.Kept != "KEEP-ME" || got.Torn != nil {
		t.Fatalf("Chromium after undo reads the kept item as %v and the torn one as %v", got.Kept, got.Torn)
	}
	if err := b.Close(); err != nil {
		t.Log(err)
	}
	final := dbRows(t, dir)
	for k, v := range old {
		if _, kept := reset[k]; !kept && final[k] != v {
			t.Fatalf("after Chromium reopened the undone database, row %q is not as before the reset", k)
		}
	}
}

// setAndWait runs a page's write and waits until Chromium has committed row.
func setAndWait(t *testing.T, b *chromiumtest.Browser, session, dir, row, js string) {
	t.Helper()
	if err := b.Eval(session, js, nil); err != nil {
		t.Fatal(err)
	}
	waitForRow(t, dir, row)
}

// resetDir resets github's items in the Local Storage database dir.
func resetDir(t *testing.T, home, dir string) *journal.Entry {
	t.Helper()
	muts, err := desktop.Store{Dirs: []string{dir}, Others: []string{"github-tools"}}.PlanReset(context.Background(), storetest.Env(home),
		store.ResetRequest{Server: registry.Server{Name: "github", Client: registry.ClaudeDesktop}})
	if err != nil || len(muts) != 1 {
		t.Fatalf("plan: %d mutations, %v", len(muts), err)
	}
	e, err := RunReset(context.Background(), journal.Open(storetest.Env(home), nil), journal.ServerRef{Name: "github", Client: registry.ClaudeDesktop}, muts)
	if err != nil || statuses(e) != "applied" {
		t.Fatalf("reset: %v", err)
	}
	return e
}

// blankPage serves an empty page on 127.0.0.1 and returns its URL.
func blankPage(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><title>t</title>`)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return fmt.Sprintf("http://%s/", ln.Addr())
}

func launchChromium(t *testing.T, profile string) *chromiumtest.Browser {
	t.Helper()
	b, err := chromiumtest.Launch(t.Context(), profile, chromiumtest.Options{Args: []string{"--profile-directory=Claude"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Kill)
	return b
}

// waitForRow waits until Chromium has committed row to the database in dir
// (about 5 s after the page's write), reading private copies.
func waitForRow(t *testing.T, dir, row string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		if hasRow(t, dir, row) {
			return
		}
	}
	t.Fatal("Chromium did not commit the item within 30 s")
}

// hasRow reads a copy of dir the way LevelDB does; a torn copy is "not yet".
func hasRow(t *testing.T, dir, row string) bool {
	cp := filepath.Join(t.TempDir(), "copy")
	if localstorage.CopyDB(dir, cp, nil) != nil {
		return false
	}
	db, err := leveldb.OpenFile(cp, nil)
	if err != nil {
		return false
	}
	defer db.Close()
	ok, _ := db.Has([]byte(row), nil)
	return ok
}
