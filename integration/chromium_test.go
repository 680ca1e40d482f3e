package integration

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// chromiumPath is Debian's chromium (installed by .ci/run).
const chromiumPath = "/usr/bin/chromium"

// needChromium skips the test, naming chromium, when it is not installed.
func needChromium(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("chromium is not installed at %s (apt-get install chromium, as .ci/run does)", chromiumPath)
	}
}

// browser is headless Chromium driven over the DevTools protocol on
// --remote-debugging-pipe (NUL-separated JSON on fds 3 and 4), as
// cache/testdata/mkfixture drives it.
type browser struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Reader
	next   int
	exited chan struct{}
}

// startChromium starts headless Chromium on the user data dir.
func startChromium(t testing.TB, userData string) *browser {
	t.Helper()
	cmdR, cmdW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	resR, resW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(chromiumPath, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+userData, "--remote-debugging-pipe", "about:blank")
	cmd.ExtraFiles = []*os.File{cmdR, resW} // fds 3 and 4
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	cmdR.Close()
	resW.Close()
	b := &browser{cmd: cmd, in: cmdW, out: bufio.NewReader(resR), exited: make(chan struct{})}
	go func() { cmd.Wait(); close(b.exited) }()
	t.Cleanup(func() { b.kill() })
	return b
}

func (b *browser) kill() {
	select {
	case <-b.exited:
	default:
		b.cmd.Process.Kill()
		<-b.exited
	}
}

// close asks Chromium to quit (Browser.close flushes Local Storage) and
// waits for it to exit.
func (b *browser) close(t testing.TB) {
	t.Helper()
	if _, err := b.call("", "Browser.close", nil); err != nil {
		t.Logf("Browser.close: %v", err)
	}
	select {
	case <-b.exited:
	case <-time.After(30 * time.Second):
		t.Fatal("Chromium did not exit after Browser.close")
	}
}

// call sends one command and waits for its reply, skipping events.
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

// open loads url in a new page and returns its session.
func (b *browser) open(url string) (string, error) {
	res, err := b.call("", "Target.createTarget", map[string]any{"url": "about:blank"})
	if err != nil {
		return "", err
	}
	var tg struct{ TargetID string }
	json.Unmarshal(res, &tg)
	res, err = b.call("", "Target.attachToTarget", map[string]any{"targetId": tg.TargetID, "flatten": true})
	if err != nil {
		return "", err
	}
	var s struct{ SessionID string }
	json.Unmarshal(res, &s)
	if _, err := b.call(s.SessionID, "Page.navigate", map[string]any{"url": url}); err != nil {
		return "", err
	}
	for range 200 {
		res, err := b.call(s.SessionID, "Runtime.evaluate", map[string]any{"expression": "location.href + ' ' + document.readyState", "returnByValue": true})
		if err == nil && strings.Contains(string(res), url+" complete") {
			return s.SessionID, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return "", errors.New("page did not load: " + url)
}

// evalString runs js (a promise is awaited) and returns its string result.
func (b *browser) evalString(session, js string) (string, error) {
	res, err := b.call(session, "Runtime.evaluate", map[string]any{"expression": js, "awaitPromise": true, "returnByValue": true})
	if err != nil {
		return "", err
	}
	var r struct {
		Result struct {
			Value string `json:"value"`
		} `json:"result"`
		ExceptionDetails json.RawMessage `json:"exceptionDetails"`
	}
	if err := json.Unmarshal(res, &r); err != nil {
		return "", err
	}
	if len(r.ExceptionDetails) > 0 {
		return "", fmt.Errorf("script failed: %s", r.ExceptionDetails)
	}
	return r.Result.Value, nil
}
