// Command mkfixture makes internal/localstorage/testdata/chromium-localstorage with real
// headless Chromium: a page served on 127.0.0.1 writes localStorage items for
// two servers (github and github-tools) in two batches — the first ends up in
// an .ldb table, the second in the .log — plus partitioned items from a
// cross-site iframe and an IndexedDB database (a LevelDB with another
// comparator).
//
// How the first batch reaches a table: it is written in a first browser
// session together with a 200 kB filler item, and the session waits 70 s.
// Chromium 156 then flushed the log to a level-0 table 60 s after opening the
// database, as internal/localstorage's doc says — but only with the filler: with a
// 1.6 kB log it did not, and on reopen LevelDB reuses a small log as it is.
// The second session writes the second batch, which deletes the filler and
// one earlier item, and it stays in the .log.
//
// Chromium is driven over the DevTools protocol by internal/chromium (on
// --remote-debugging-pipe, so only the standard library is used).
//
//	go run ./internal/localstorage/testdata/mkfixture [-chromium /usr/bin/chromium] [-out internal/localstorage/testdata/chromium-localstorage]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/mcpmend/mcpmend/internal/chromiumtest"
)

// batch1 is written first and ends up in an .ldb table.
const batch1 = `
localStorage.setItem('mcp:github:auth', JSON.stringify({access_token: 'CANARY-GH-ACCESS-0001', token_type: 'Bearer', expires_at: 1893456000}));
localStorage.setItem('mcp-auth-github', 'CANARY-GH-PLAIN-0002');
localStorage.setItem('{"server":"github","kind":"oauth-state"}', 'café');
localStorage.setItem('mcp:github:stale', 'removed in batch 2');
localStorage.setItem('mcp:github-tools:auth', JSON.stringify({access_token: 'CANARY-TOOLS-0003'}));
localStorage.setItem('github-tools.lastUsed', '2026-01-02');
localStorage.setItem('GitHub:display', 'GitHub (work)');
localStorage.setItem('theme', 'dark');
localStorage.setItem('recentServers', JSON.stringify({servers: ['github', 'slack'], max: 5}));
`

// batch2 is written after the table flush and stays in the .log.
const batch2 = `
localStorage.setItem('mcp:github:prefs', JSON.stringify({label: 'GitHub 🐙', pinned: true}));
localStorage.setItem('mcp:github-tools:prefs', 'tools ✓');
localStorage.setItem('layout', JSON.stringify({pinned: ['github', 'github-tools'], icon: '🚀'}));
localStorage.setItem('mcp:github:名前', '名前 value');
localStorage.setItem('lang', 'fr');
localStorage.removeItem('mcp:github:stale');
`

// frame runs in a localhost iframe inside the 127.0.0.1 page: cross-site,
// so Chromium files its items under a partitioned storage key.
const frame = `<!doctype html><script>
localStorage.setItem('mcp:github:auth', JSON.stringify({access_token: 'CANARY-GH-PART-0004'}));
localStorage.setItem('note', 'partitioned');
</script>`

// page opens an IndexedDB database (comparator idb_cmp1) and loads the frame.
const page = `<!doctype html><title>fixture</title><script>
window.idbDone = new Promise(ok => {
  const r = indexedDB.open('fixture', 1);
  r.onupgradeneeded = () => r.result.createObjectStore('s');
  r.onsuccess = () => { const tx = r.result.transaction('s', 'readwrite'); tx.objectStore('s').put('github', 'k'); tx.oncomplete = () => ok(true); };
});
window.frameDone = new Promise(ok => window.addEventListener('load', () => ok(true)));
</script><iframe src="http://localhost:%d/frame"></iframe>`

func main() {
	chromiumPath := flag.String("chromium", chromiumtest.DefaultPath, "Chromium binary")
	out := flag.String("out", "internal/localstorage/testdata/chromium-localstorage", "fixture directory to (re)create")
	wait := flag.Duration("flush", 70*time.Second, "wait between the batches (Chromium flushes its log to a table 60 s after opening the database)")
	keep := flag.String("keep", "", "keep the Chromium profile (for debugging), any non-empty value")
	filler := flag.Int("filler", 200000, "size of a filler item written with the first batch (it must exceed Chromium's write buffer, between 60 and 150 kB here)")
	flag.Parse()
	if err := run(*chromiumPath, *out, *wait, *keep, *filler); err != nil {
		log.Fatal(err)
	}
}

func run(chromiumPath, out string, wait time.Duration, keep string, filler int) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, page, port)
	})
	mux.HandleFunc("/frame", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, frame)
	})
	go http.Serve(ln, mux)

	profile, err := os.MkdirTemp("", "mkfixture-profile-")
	if err != nil {
		return err
	}
	if keep == "" {
		defer os.RemoveAll(profile)
	} else {
		log.Printf("profile kept in %s", profile)
	}
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	fill := fmt.Sprintf("localStorage.setItem('filler', 'x'.repeat(%d));", filler)
	if err := session(chromiumPath, profile, url, fill+batch1, wait); err != nil {
		return err
	}
	if err := session(chromiumPath, profile, url, batch2+"localStorage.removeItem('filler');", 0); err != nil {
		return err
	}

	if err := os.RemoveAll(out); err != nil {
		return err
	}
	if err := copyDir(filepath.Join(profile, "Default", "Local Storage", "leveldb"), filepath.Join(out, "leveldb")); err != nil {
		return err
	}
	idb, _ := filepath.Glob(filepath.Join(profile, "Default", "IndexedDB", "*.indexeddb.leveldb"))
	if len(idb) != 1 {
		return fmt.Errorf("want one IndexedDB database, found %v", idb)
	}
	if err := copyDir(idb[0], filepath.Join(out, "indexeddb.leveldb")); err != nil {
		return err
	}
	return report(filepath.Join(out, "leveldb"), true)
}

// session starts Chromium on profile, loads url, runs js, waits (Chromium
// commits localStorage about 5 s after a write, and flushes its log to a
// table 60 s after opening the database) and closes it with Browser.close.
func session(chromiumPath, profile, url, js string, wait time.Duration) error {
	b, err := chromiumtest.Launch(context.Background(), profile, chromiumtest.Options{Path: chromiumPath, Stderr: os.Stderr})
	if err != nil {
		return err
	}
	defer b.Kill()
	sid, err := b.OpenPage(url)
	if err != nil {
		return err
	}
	if err := b.Eval(sid, "Promise.all([window.idbDone, window.frameDone])", nil); err != nil {
		return err
	}
	if err := b.Eval(sid, js, nil); err != nil {
		return err
	}
	log.Printf("batch written; waiting %s", wait+7*time.Second)
	time.Sleep(wait + 7*time.Second)
	if err := b.Close(); err != nil {
		return err
	}
	return report(filepath.Join(profile, "Default", "Local Storage", "leveldb"), false)
}

func copyDir(src, dst string) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// report lists the files made, so a run that missed the table flush shows.
func report(dir string, final bool) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var ldb, logs int
	for _, e := range entries {
		fi, _ := e.Info()
		log.Printf("%s %d bytes", e.Name(), fi.Size())
		switch filepath.Ext(e.Name()) {
		case ".ldb":
			ldb++
		case ".log":
			if fi.Size() > 0 {
				logs++
			}
		}
	}
	if final && (ldb == 0 || logs == 0) {
		return fmt.Errorf("want data in both an .ldb table and a .log, got %d tables and %d non-empty logs", ldb, logs)
	}
	return nil
}
