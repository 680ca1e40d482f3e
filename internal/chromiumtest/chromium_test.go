package chromiumtest

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
)

// TestLocalStorageSurvivesClose drives real Chromium: a page on 127.0.0.1
// writes localStorage, Close flushes it, and a second browser on the same
// profile reads it back; a throwing script and a dead browser are errors.
func TestLocalStorageSurvivesClose(t *testing.T) {
	if _, err := os.Stat(DefaultPath); err != nil {
		t.Skipf("chromium is not installed at %s (apt-get install chromium, as .ci/run does)", DefaultPath)
	}
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
	url := fmt.Sprintf("http://%s/", ln.Addr())
	profile := t.TempDir()

	b := launch(t, profile)
	s, err := b.OpenPage(url)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Eval(s, `localStorage.setItem('k', 'vé'); Promise.resolve(1)`, nil); err != nil {
		t.Fatal(err)
	}
	err = b.Eval(s, `throw new Error('boom')`, nil)
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("a throwing script: err = %v, want one naming the exception", err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Call("", "Browser.getVersion", nil); err == nil {
		t.Fatal("Call on a closed browser succeeded")
	}

	b = launch(t, profile)
	s, err = b.OpenPage(url)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		K string `json:"k"`
		N int    `json:"n"`
	}
	if err := b.Eval(s, `({k: localStorage.getItem('k'), n: localStorage.length})`, &got); err != nil {
		t.Fatal(err)
	}
	if got.K != "vé" || got.N != 1 {
		t.Fatalf("after reopening the profile: %+v, want k=vé n=1", got)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
}

func launch(t *testing.T, profile string) *Browser {
	t.Helper()
	b, err := Launch(t.Context(), profile, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Kill)
	if b.Pid() <= 0 {
		t.Fatalf("pid %d", b.Pid())
	}
	return b
}
