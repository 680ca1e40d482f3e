// Command mkfixture makes cache/testdata/chromium-localstorage with real
// headless Chromium: a page served on 127.0.0.1 writes localStorage items for
// two servers (github and github-tools) in two batches — the first ends up in
// an .ldb table, the second in the .log — plus partitioned items from a
// cross-site iframe and an IndexedDB database (a LevelDB with another
// comparator).
//
// How the first batch reaches a table: it is written in a first browser
// session together with a 200 kB filler item, and the session waits 70 s.
// Chromium 156 then flushed the log to a level-0 table 60 s after opening the
// database, as electron-leveldb.md says — but only with the filler: with a
// 1.6 kB log it did not, and on reopen LevelDB reuses a small log as it is.
// The second session writes the second batch, which deletes the filler and
// one earlier item, and it stays in the .log.
//
// Chromium is driven over the DevTools protocol on --remote-debugging-pipe
// (NUL-separated JSON on fds 3 and 4), so only the standard library is used.
//
//	go run ./cache/testdata/mkfixture [-chromium /usr/bin/chromium] [-out cache/testdata/chromium-localstorage]
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
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
	chromium := flag.String("chromium", "/usr/bin/chromium", "Chromium binary")
	out := flag.String("out", "cache/testdata/chromium-localstorage", "fixture directory to (re)create")
	wait := flag.Duration("flush", 70*time.Second, "wait between the batches (Chromium flushes its log to a table 60 s after opening the database)")
	keep := flag.String("keep", "", "keep the Chromium profile (for debugging), any non-empty value")
	filler := flag.Int("filler", 200000, "size of a filler item written with the first batch (it must exceed Chromium's write buffer, between 60 and 150 kB here)")
	flag.Parse()
	if err := run(*chromium, *out, *wait, *keep, *filler); err != nil {
		log.Fatal(err)
	}
}

func run(chromium, out string, wait time.Duration, keep string, filler int) error {
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
	if err := session(chromium, profile, url, fill+batch1, wait); err != nil {
		return err
	}
	if err := session(chromium, profile, url, batch2+"localStorage.removeItem('filler');", 0); err != nil {
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
func session(chromium, profile, url, js string, wait time.Duration) error {
	b, err := startBrowser(chromium, profile)
	if err != nil {
		return err
	}
	defer b.cmd.Process.Kill()
	sid, err := b.openPage(url)
	if err != nil {
		return err
	}
	if err := b.eval(sid, "Promise.all([window.idbDone, window.frameDone])"); err != nil {
		return err
	}
	if err := b.eval(sid, js); err != nil {
		return err
	}
	log.Printf("batch written; waiting %s", wait+7*time.Second)
	time.Sleep(wait + 7*time.Second)
	if _, err := b.call("", "Browser.close", nil); err != nil {
		return err
	}
	if err := b.cmd.Wait(); err != nil {
		log.Printf("chromium exited: %v", err)
	}
	return report(filepath.Join(profile, "Default", "Local Storage", "leveldb"), false)
}

// browser is a Chromium process driven over --remote-debugging-pipe.
type browser struct {
	cmd  *exec.Cmd
	in   io.Writer     // Chromium's fd 3
	out  *bufio.Reader // Chromium's fd 4
	next int
}

func startBrowser(chromium, profile string) (*browser, error) {
	cmdR, cmdW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	resR, resW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+profile, "--remote-debugging-pipe", "about:blank")
	cmd.ExtraFiles = []*os.File{cmdR, resW} // fds 3 and 4
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	cmdR.Close()
	resW.Close()
	return &browser{cmd: cmd, in: cmdW, out: bufio.NewReader(resR)}, nil
}

// call sends one command (to the browser, or to a page session) and waits for
// its reply, skipping events.
func (b *browser) call(session, method string, params any) (json.RawMessage, error) {
	b.next++
	msg := map[string]any{"id": b.next, "method": method}
	if params != nil {
		msg["params"] = params
	}
	if session != "" {
		msg["sessionId"] = session
	}
	data, err := json.Marshal(msg)
	if err != nil {
		return nil, err
	}
	if _, err := b.in.Write(append(data, 0)); err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	for {
		line, err := b.out.ReadBytes(0)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", method, err)
		}
		var reply struct {
			ID     int             `json:"id"`
			Result json.RawMessage `json:"result"`
			Error  *struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(line[:len(line)-1], &reply); err != nil {
			return nil, err
		}
		if reply.ID != b.next {
			continue
		}
		if reply.Error != nil {
			return nil, fmt.Errorf("%s: %s", method, reply.Error.Message)
		}
		return reply.Result, nil
	}
}

func (b *browser) openPage(url string) (string, error) {
	res, err := b.call("", "Target.createTarget", map[string]any{"url": "about:blank"})
	if err != nil {
		return "", err
	}
	var t struct{ TargetID string }
	json.Unmarshal(res, &t)
	res, err = b.call("", "Target.attachToTarget", map[string]any{"targetId": t.TargetID, "flatten": true})
	if err != nil {
		return "", err
	}
	var s struct{ SessionID string }
	json.Unmarshal(res, &s)
	if _, err := b.call(s.SessionID, "Page.navigate", map[string]any{"url": url}); err != nil {
		return "", err
	}
	for range 100 {
		res, err := b.call(s.SessionID, "Runtime.evaluate", map[string]any{"expression": "location.href + ' ' + document.readyState", "returnByValue": true})
		if err == nil && strings.Contains(string(res), url+" complete") {
			return s.SessionID, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return "", errors.New("page did not load: " + url)
}

func (b *browser) eval(session, js string) error {
	res, err := b.call(session, "Runtime.evaluate", map[string]any{"expression": js, "awaitPromise": true, "returnByValue": true})
	if err != nil {
		return err
	}
	if strings.Contains(string(res), `"exceptionDetails"`) {
		return fmt.Errorf("script failed: %s", res)
	}
	return nil
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
