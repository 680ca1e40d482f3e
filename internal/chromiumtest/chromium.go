// Package chromiumtest drives a real headless Chromium over the DevTools
// protocol, for the tests and the fixture generator that need the real
// browser engine to write or read a profile (Local Storage, IndexedDB).
//
// Chromium is started with --remote-debugging-pipe: commands and replies are
// NUL-separated JSON on the child's fds 3 and 4. Compared with
// --remote-debugging-port this needs no WebSocket client (only the standard
// library) and no port. The pipe needs extra inherited file descriptors, so
// Launch works on Linux and macOS; on Windows it returns an error.
package chromiumtest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"
)

// DefaultPath is Debian's chromium package, which .ci/run installs.
const DefaultPath = "/usr/bin/chromium"

// flags run Chromium headless as root on a machine with no internet, as
// measured on Debian Chromium 156 (see internal/localstorage): --no-sandbox because the sandbox
// refuses to run as root, and the background-networking flags because
// otherwise Chromium keeps opening connections the closed network refuses.
var flags = []string{
	"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
	"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
}

// Page loads and Close waits give up after these; both are generous because
// the machine is shared and a cold Chromium start takes seconds.
const (
	pageLoadTimeout = 10 * time.Second
	closeTimeout    = 30 * time.Second
)

// Options are Launch's optional settings; the zero value runs DefaultPath
// with Chromium's own log discarded.
type Options struct {
	// Path is the Chromium binary; DefaultPath when empty.
	Path string
	// Stderr receives Chromium's own log; it is discarded when nil.
	Stderr io.Writer
	// Args are added to the command line, e.g. --profile-directory=Claude
	// to put a profile where an Electron app keeps its userData.
	Args []string
}

// Browser is one Chromium process driven over --remote-debugging-pipe. Its
// methods send one command at a time and are not safe for concurrent use.
type Browser struct {
	cmd     *exec.Cmd
	in      io.WriteCloser // Chromium's fd 3: commands
	out     *bufio.Reader  // Chromium's fd 4: replies and events
	next    int
	exited  chan struct{} // closed once the process has been waited for
	waitErr error         // the process's exit error, set before exited closes
}

// Launch starts headless Chromium on userDataDir (created by Chromium when
// missing). Cancelling ctx kills Chromium, which also ends a call waiting for
// its reply. Call Close to quit cleanly, or Kill.
func Launch(ctx context.Context, userDataDir string, opts Options) (*Browser, error) {
	path := opts.Path
	if path == "" {
		path = DefaultPath
	}
	cmdR, cmdW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("chromium command pipe: %w", err)
	}
	resR, resW, err := os.Pipe()
	if err != nil {
		cmdR.Close()
		cmdW.Close()
		return nil, fmt.Errorf("chromium reply pipe: %w", err)
	}
	args := append(append([]string(nil), flags...), opts.Args...)
	args = append(args, "--user-data-dir="+userDataDir, "--remote-debugging-pipe", "about:blank")
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.ExtraFiles = []*os.File{cmdR, resW} // fds 3 and 4
	cmd.Stderr = opts.Stderr
	ownGroup(cmd)
	err = cmd.Start()
	// The child has its copies now; ours would keep the reply pipe open
	// after Chromium exits, and a read would then never see EOF.
	cmdR.Close()
	resW.Close()
	if err != nil {
		cmdW.Close()
		resR.Close()
		return nil, fmt.Errorf("start %s: %w", path, err)
	}
	b := &Browser{cmd: cmd, in: cmdW, out: bufio.NewReader(resR), exited: make(chan struct{})}
	go func() {
		b.waitErr = cmd.Wait()
		// Zygote and utility processes can outlive the browser and keep
		// writing into the profile; end them with it.
		killGroup(cmd)
		cmdW.Close()
		resR.Close()
		close(b.exited)
	}()
	return b, nil
}

// Pid is the Chromium browser process's id (the one that holds the
// profile's locks).
func (b *Browser) Pid() int { return b.cmd.Process.Pid }

// Call sends one command — to the browser when session is "", else to that
// page session — and returns its result, skipping the events that arrive
// before the reply.
func (b *Browser) Call(session, method string, params any) (json.RawMessage, error) {
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
		return nil, fmt.Errorf("%s: %w", method, err)
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
			return nil, fmt.Errorf("%s: reply: %w", method, err)
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

// OpenPage loads url in a new tab, waits until its document is complete,
// and returns the page session that Eval takes.
func (b *Browser) OpenPage(url string) (string, error) {
	res, err := b.Call("", "Target.createTarget", map[string]any{"url": "about:blank"})
	if err != nil {
		return "", err
	}
	var t struct{ TargetID string }
	if err := json.Unmarshal(res, &t); err != nil {
		return "", fmt.Errorf("decode Target.createTarget reply: %w", err)
	}
	res, err = b.Call("", "Target.attachToTarget", map[string]any{"targetId": t.TargetID, "flatten": true})
	if err != nil {
		return "", err
	}
	var s struct{ SessionID string }
	if err := json.Unmarshal(res, &s); err != nil {
		return "", fmt.Errorf("decode Target.attachToTarget reply: %w", err)
	}
	if _, err := b.Call(s.SessionID, "Page.navigate", map[string]any{"url": url}); err != nil {
		return "", err
	}
	// Page.navigate answers before the page has loaded; poll readyState
	// (checking the URL too, so about:blank's "complete" does not count).
	for deadline := time.Now().Add(pageLoadTimeout); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		res, err := b.Call(s.SessionID, "Runtime.evaluate", map[string]any{"expression": "location.href + ' ' + document.readyState", "returnByValue": true})
		if err == nil && strings.Contains(string(res), url+" complete") {
			return s.SessionID, nil
		}
	}
	return "", fmt.Errorf("page did not load within %s: %s", pageLoadTimeout, url)
}

// Eval runs js in the page session, awaiting it when it is a promise, and
// stores its value (which must be JSON-serialisable) in result unless result
// is nil. A script that throws is an error carrying Chromium's exception
// details.
func (b *Browser) Eval(session, js string, result any) error {
	res, err := b.Call(session, "Runtime.evaluate", map[string]any{"expression": js, "awaitPromise": true, "returnByValue": true})
	if err != nil {
		return err
	}
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails json.RawMessage `json:"exceptionDetails"`
	}
	if err := json.Unmarshal(res, &r); err != nil {
		return fmt.Errorf("decode Runtime.evaluate reply: %w", err)
	}
	if len(r.ExceptionDetails) > 0 {
		return fmt.Errorf("script failed: %s", r.ExceptionDetails)
	}
	if result == nil || len(r.Result.Value) == 0 {
		return nil
	}
	if err := json.Unmarshal(r.Result.Value, result); err != nil {
		return fmt.Errorf("script result %.200s: %w", r.Result.Value, err)
	}
	return nil
}

// Close quits Chromium with Browser.close — which, unlike a kill, flushes
// Local Storage to disk — and waits for the process to exit. The reply to
// Browser.close may be lost when Chromium exits first, so only an exit that
// does not come within 30 s is an error (Chromium is then killed); an exit
// status other than 0 is returned too, for the caller to log.
func (b *Browser) Close() error {
	_, callErr := b.Call("", "Browser.close", nil)
	select {
	case <-b.exited:
		if b.waitErr != nil {
			return fmt.Errorf("chromium exited after Browser.close: %w", b.waitErr)
		}
		return nil
	case <-time.After(closeTimeout):
		b.Kill()
		return errors.Join(fmt.Errorf("chromium did not exit within %s of Browser.close; killed", closeTimeout), callErr)
	}
}

// Kill kills Chromium at once, without flushing, and waits for it to exit;
// it does nothing when Chromium has already exited, so a test can always
// defer it.
func (b *Browser) Kill() {
	select {
	case <-b.exited:
	default:
		b.cmd.Process.Kill()
		<-b.exited
	}
}
