package integration

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// openWatch reports every file and folder opened under a home (inotify
// IN_OPEN on each folder of it): what a process read there, in order.
type openWatch struct {
	fd    int
	paths map[int]string // watch descriptor → folder
}

func watchOpens(t *testing.T, home string) *openWatch {
	t.Helper()
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	w := &openWatch{fd: fd, paths: map[int]string{}}
	t.Cleanup(func() { unix.Close(fd) })
	filepath.WalkDir(home, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			wd, err := unix.InotifyAddWatch(fd, p, unix.IN_OPEN)
			if err != nil {
				t.Fatal(err)
			}
			w.paths[wd] = p
		}
		return nil
	})
	w.opened(t) // the walk's own opens
	return w
}

// opened drains the events so far: the paths opened, in order.
func (w *openWatch) opened(t *testing.T) []string {
	t.Helper()
	var out []string
	buf := make([]byte, 64<<10)
	for {
		n, err := unix.Read(w.fd, buf)
		if err == unix.EAGAIN || n <= 0 {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
			name := strings.TrimRight(string(buf[off+unix.SizeofInotifyEvent:off+unix.SizeofInotifyEvent+int(ev.Len)]), "\x00")
			out = append(out, filepath.Join(w.paths[int(ev.Wd)], name))
			off += unix.SizeofInotifyEvent + int(ev.Len)
		}
	}
}

// TestServeAnswersBeforeTouchingStores: `mcpmend serve` answers initialize
// without opening any file or folder of the home — no store, no journal:
// resuming pending resets waits for the end of the handshake, and the
// stores are read when a tool is called. The control: `mcpmend list` on the
// same home opens ~/.claude.json.
func TestServeAnswersBeforeTouchingStores(t *testing.T) {
	home := t.TempDir()
	writeClaudeJSON(t, home, map[string]any{"s": map[string]any{"command": "true"}})
	for _, d := range []string{".claude", ".config/Claude", ".cursor", ".mcp-auth", ".local/state/mcpmend/journal"} {
		if err := os.MkdirAll(filepath.Join(home, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(home, ".claude", ".credentials.json"), []byte(`{}`), 0o600)
	w := watchOpens(t, home)

	cmd := exec.Command(binary, "serve", "--home", home)
	cmd.Env = homeEnv(home)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	io.WriteString(stdin, `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`+"\n")
	line, err := bufio.NewReader(stdout).ReadString('\n')
	var res struct {
		Result *struct {
			ServerInfo struct{ Name string } `json:"serverInfo"`
		} `json:"result"`
	}
	if err != nil || json.Unmarshal([]byte(line), &res) != nil || res.Result == nil || res.Result.ServerInfo.Name != "mcpmend" {
		t.Fatalf("no initialize result: %q, %v", line, err)
	}
	// Nothing else was asked (not even notifications/initialized, after
	// which the journal is replayed): whatever serve opened, it opened to
	// answer initialize, or around it.
	time.Sleep(200 * time.Millisecond)
	if got := w.opened(t); len(got) > 0 {
		t.Errorf("serve opened %q before and while answering initialize", got)
	}
	stdin.Close()
	cmd.Wait()

	if _, stderr, code := runCLI(t, home, "list", "--home", home); code != 0 {
		t.Fatalf("list: exit %d: %s", code, stderr)
	}
	got := w.opened(t)
	for _, p := range got {
		if p == filepath.Join(home, ".claude.json") {
			return
		}
	}
	t.Fatalf("the control failed: list opened %q, not ~/.claude.json", got)
}
