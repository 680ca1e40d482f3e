//go:build unix

package desktop

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/mcpmend/mcpmend/internal/localstorage"
)

// liveWriter keeps writing localStorage while the test reads: a 100 kB item
// under a rotating key every 200 ms, so Chromium's commits (every ~5 s)
// overflow its write buffer and flush tables while copies are taken.
const liveWriter = `<!doctype html><script>
let n = 0;
localStorage.setItem('mcp:live:started', String(Date.now()));
setInterval(() => { localStorage.setItem('mcp:live:' + (n++ % 20), 'x'.repeat(100000) + n); }, 200);
</script>`

// TestRealChromiumHoldsTheLock runs headless Chromium on a profile holding
// the fixture database: ProbeLock must name Chromium's PID while it runs, and
// reads taken while it writes must all succeed through copies.
func TestRealChromiumHoldsTheLock(t *testing.T) {
	const chromium = "/usr/bin/chromium"
	if _, err := os.Stat(chromium); err != nil || testing.Short() {
		t.Skip("needs Debian chromium at /usr/bin/chromium (installed by .ci/run); skipped in -short")
	}
	profile := chromiumProfile(t)
	dir := filepath.Join(profile, "Default", "Local Storage", "leveldb")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := localstorage.CopyDBFiles(fixtureDir, dir); err != nil {
		t.Fatal(err)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, liveWriter)
	})}
	go srv.Serve(ln)
	defer srv.Close()

	cmd := exec.Command(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+profile, "http://"+ln.Addr().String()+"/")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // so its helpers can be ended with it
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Chromium's zygote and utility processes can outlive the browser and
	// keep writing into the profile; end the whole group when the test ends.
	t.Cleanup(func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	exited := make(chan struct{}) // closed, so every wait below sees it
	go func() { cmd.Wait(); close(exited) }()
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	}()

	deadline := time.Now().Add(30 * time.Second)
	for {
		held, pid, err := localstorage.ProbeLock(dir)
		if err != nil {
			t.Fatal(err)
		}
		if held {
			if pid != cmd.Process.Pid {
				t.Fatalf("lock held by pid %d, Chromium is %d", pid, cmd.Process.Pid)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Chromium never took the lock")
		}
		time.Sleep(100 * time.Millisecond)
	}

	m := NewNameMatcher("github", []string{"github-tools"})
	reads, retried, sawLive := 0, 0, 0
	for end := time.Now().Add(12 * time.Second); time.Now().Before(end); reads++ {
		sc, err := Scan(context.Background(), dir, m)
		if err != nil {
			t.Fatalf("read %d while Chromium writes: %v", reads, err)
		}
		if !sc.Lock.Held || sc.Lock.PID != cmd.Process.Pid || len(sc.Matches) != len(wantGithub)+1 {
			t.Fatalf("read %d: lock %+v, %d matches", reads, sc.Lock, len(sc.Matches))
		}
		if sc.Attempts > 1 {
			retried++
		}
		for origin, oi := range sc.Origins {
			if origin == "http://"+ln.Addr().String() && oi.Items > 0 {
				sawLive++
				break
			}
		}
	}
	if sawLive == 0 {
		t.Error("no read saw the live page's items")
	}
	t.Logf("%d reads while Chromium wrote (%d saw its items, %d needed a second copy)", reads, sawLive, retried)

	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(20 * time.Second):
		t.Fatal("Chromium did not exit on SIGTERM")
	}
	if held, _, err := localstorage.ProbeLock(dir); held || err != nil {
		t.Fatalf("after Chromium exits: held=%v err=%v", held, err)
	}
}

// chromiumProfile returns a fresh profile directory that is removed after the
// test, retrying for a few seconds: Chromium's helper processes may still be
// finishing writes into it after the browser exits.
func chromiumProfile(t *testing.T) string {
	dir, err := os.MkdirTemp("", "mcpmend-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		var err error
		for range 50 {
			if err = os.RemoveAll(dir); err == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Logf("leaving %s behind: %v", dir, err)
	})
	return dir
}
