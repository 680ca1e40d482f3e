//go:build unix

package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/syndtr/goleveldb/leveldb"

	"github.com/mcpmend/mcpmend/cache/desktop"
	"github.com/mcpmend/mcpmend/cache/journal"
	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/internal/chromiumtest"
	"github.com/mcpmend/mcpmend/internal/crashpoint"
	"github.com/mcpmend/mcpmend/internal/localstorage"
	"github.com/mcpmend/mcpmend/registry"
)

// desktopFixture is the Local Storage database real headless Chromium wrote
// (internal/localstorage/testdata/mkfixture): items for the servers github and github-tools
// on http://127.0.0.1:<port>, a partitioned origin from a localhost iframe,
// mentions of github inside other values, and CANARY tokens.
var desktopFixture = filepath.Join("..", "internal", "localstorage", "testdata", "chromium-localstorage", "leveldb")

// desktopCanary is in the Desktop config (an env value): no output may show it.
const desktopCanary = "CANARY-DESKTOP-ENV-0007"

// githubTokens are the fixture's tokens under github's own items.
var githubTokens = []string{"CANARY-GH-ACCESS-0001", "CANARY-GH-PLAIN-0002", "CANARY-GH-PART-0004"}

// desktopHome makes a home whose Claude Desktop (Linux layout) configures
// github and github-tools and whose Local Storage is the fixture. It returns
// the home, the userData dir and the database dir.
func desktopHome(t *testing.T) (home, userData, dir string) {
	t.Helper()
	home = t.TempDir()
	userData = filepath.Join(home, ".config", "Claude")
	dir = filepath.Join(userData, "Local Storage", "leveldb")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := `{"mcpServers":{
  "github":{"command":"npx","args":["-y","@modelcontextprotocol/server-github"],"env":{"GITHUB_PERSONAL_ACCESS_TOKEN":"` + desktopCanary + `"}},
  "github-tools":{"command":"npx","args":["-y","github-tools-mcp"]}}}`
	if err := os.WriteFile(filepath.Join(userData, "claude_desktop_config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(desktopFixture)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.Name() == "LOCK" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(desktopFixture, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(dir, "LOCK"), nil, 0o644) // as Chromium leaves it
	return home, userData, dir
}

// itemRows reads every item row of the database (raw bytes) through LevelDB
// itself, on a private copy.
func itemRows(t *testing.T, dir string) map[string]string {
	t.Helper()
	cp := t.TempDir()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if e.Name() == "LOCK" || !e.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(cp, e.Name()), b, 0o600)
	}
	db, err := leveldb.OpenFile(cp, nil)
	if err != nil {
		t.Fatalf("LevelDB cannot open %s: %v", dir, err)
	}
	defer db.Close()
	out := map[string]string{}
	it := db.NewIterator(nil, nil)
	defer it.Release()
	for it.Next() {
		if k := it.Key(); len(k) > 0 && k[0] == '_' {
			out[string(k)] = string(it.Value())
		}
	}
	return out
}

// storageView is what pages see: storage key → item key → value.
type storageView map[string]map[string]string

func decodeView(t *testing.T, rows map[string]string) storageView {
	t.Helper()
	v := storageView{}
	for k, val := range rows {
		it, ok := localstorage.DecodeItem([]byte(k), []byte(val))
		if !ok {
			t.Fatalf("undecodable row %q", k)
		}
		if v[it.Origin] == nil {
			v[it.Origin] = map[string]string{}
		}
		v[it.Origin][it.Key] = it.Value.Reveal()
	}
	return v
}

// githubItemKeys are the fixture's items whose key names github (in both
// storage keys): what a reset of github removes.
var githubItemKeys = []string{"mcp:github:auth", "mcp-auth-github", `{"server":"github","kind":"oauth-state"}`, "mcp:github:prefs", "mcp:github:名前"}

func withoutGithubItems(v storageView) storageView {
	out := storageView{}
	for origin, items := range v {
		out[origin] = map[string]string{}
		for k, val := range items {
			out[origin][k] = val
		}
		for _, k := range githubItemKeys {
			delete(out[origin], k)
		}
	}
	return out
}

// origins returns the page's storage key and the partitioned one, and the
// page's port.
func origins(t *testing.T, v storageView) (page, part string, port int) {
	t.Helper()
	for o := range v {
		switch {
		case strings.HasPrefix(o, "http://127.0.0.1:"):
			page = o
			fmt.Sscanf(strings.TrimPrefix(o, "http://127.0.0.1:"), "%d", &port)
		case strings.HasSuffix(o, "/^0http://127.0.0.1"):
			part = o
		}
	}
	if page == "" || part == "" || port == 0 {
		t.Fatalf("fixture origins: %v", v)
	}
	return page, part, port
}

// storagePages serves, on the fixture's own origin, a page that dumps its
// localStorage and that of a cross-site localhost iframe (partitioned
// storage, as when the fixture was written). Port 0 picks a free port; the
// port served on is returned.
func storagePages(t *testing.T, port int) int {
	t.Helper()
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatalf("the fixture's origin port %d is taken (regenerate the fixture or free the port): %v", port, err)
	}
	port = ln.Addr().(*net.TCPAddr).Port
	const dump = `function dump(){const o={};for(let i=0;i<localStorage.length;i++){const k=localStorage.key(i);o[k]=localStorage.getItem(k);}return o;}`
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><script>%s
window.frameData = new Promise(ok => addEventListener('message', e => ok(e.data)));
</script><iframe src="http://localhost:%d/frame"></iframe>`, dump, port)
	})
	mux.HandleFunc("/frame", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><script>%s parent.postMessage(JSON.stringify(dump()), '*');</script>`, dump)
	})
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return port
}

// waitLockHeld waits until the Chromium process pid holds the database's
// lock, as a running Claude Desktop does.
func waitLockHeld(t *testing.T, dir string, pid int) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		held, holder, err := localstorage.ProbeLock(dir)
		if err != nil {
			t.Fatal(err)
		}
		if held && holder == pid {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Chromium (pid %d) never held the lock (held=%v pid=%d)", pid, held, holder)
		}
	}
}

// chromiumSession runs headless Chromium on Claude Desktop's userData (as
// Electron does: the profile directory is userData itself) and loads the
// page; it returns the browser and the page session.
func chromiumSession(t *testing.T, userData string, port int) (*chromiumtest.Browser, string) {
	t.Helper()
	root := t.TempDir()
	if err := os.Symlink(userData, filepath.Join(root, "Default")); err != nil {
		t.Fatal(err)
	}
	b := startChromium(t, root)
	s, err := b.OpenPage(fmt.Sprintf("http://127.0.0.1:%d/", port))
	if err != nil {
		t.Fatal(err)
	}
	return b, s
}

// readStorage returns what the page and its partitioned iframe see.
func readStorage(t *testing.T, b *chromiumtest.Browser, session string) (page, frame map[string]string) {
	t.Helper()
	var out string
	if err := b.Eval(session, `window.frameData.then(f => JSON.stringify({page: dump(), frame: JSON.parse(f)}))`, &out); err != nil {
		t.Fatal(err)
	}
	var v struct{ Page, Frame map[string]string }
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	return v.Page, v.Frame
}

// sameView compares two views, origins without items counting as absent.
func sameView(a, b storageView) bool {
	for _, v := range []storageView{a, b} {
		for o, items := range v {
			if !maps.Equal(a[o], b[o]) && (len(items) > 0) {
				return false
			}
		}
	}
	return true
}

// noCorruption fails when Chromium's own LevelDB log reports corruption.
func noCorruption(t *testing.T, dir string) {
	t.Helper()
	for _, name := range []string{"LOG", "LOG.old"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			continue
		}
		if strings.Contains(strings.ToLower(string(b)), "corrupt") {
			t.Fatalf("Chromium's %s reports corruption:\n%s", name, b)
		}
	}
}

func noSecrets(t *testing.T, where string, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if strings.Contains(s, "CANARY") {
			t.Fatalf("a secret reached %s: %s", where, s)
		}
	}
}

// killWorkerAtEnd stops a detached apply-pending worker a failed test left.
func killWorkerAtEnd(t *testing.T, home string) {
	t.Cleanup(func() {
		if running, pid := journal.WorkerRunning(isolatedEnv(home)); running && pid > 0 {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
}

// waitWorkerGone waits until the apply-pending worker has exited after
// applying the last waiting step (it holds the database's lock while it
// works; a Chromium started before then would see an empty Local Storage).
func waitWorkerGone(t *testing.T, env registry.Env) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if running, _ := journal.WorkerRunning(env); !running {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("apply-pending kept running after the last step applied")
		}
	}
}

// TestDesktopResetWithRealChromium: Claude Desktop (real Chromium on its
// userData) holds its Local Storage while `mcpmend reset github` runs, so the
// Desktop part waits and a detached apply-pending waits for the lock; the
// browser quits and the worker applies it; Chromium then sees github's items
// gone and everything else — github-tools' items, the mentions of github —
// intact, with no corruption in its LOG; `mcpmend undo` puts the items back
// byte for byte, and Chromium sees them again.
func TestDesktopResetWithRealChromium(t *testing.T) {
	needChromium(t)
	home, userData, dir := desktopHome(t)
	env := isolatedEnv(home)
	killWorkerAtEnd(t, home)
	orig := itemRows(t, dir)
	origView := decodeView(t, orig)
	page, part, port := origins(t, origView)
	storagePages(t, port)

	// What mcpmend reads before: 6 items keyed by github, 3 mentions.
	out, errOut, code := runCLI(t, home, "--home", home, "state", "github", "--client", "claude-desktop", "--json")
	if code != 0 {
		t.Fatalf("state: %s", errOut)
	}
	noSecrets(t, "state", out, errOut)
	var st struct {
		Stores []struct {
			Store   string
			Records []store.Record
		}
	}
	json.Unmarshal([]byte(out), &st)
	items, mentions := 0, 0
	for _, s := range st.Stores {
		for _, r := range s.Records {
			if s.Store != store.Desktop {
				continue
			}
			if r.Resettable {
				items++
			} else {
				mentions++
			}
		}
	}
	if items != 6 || mentions != 3 {
		t.Fatalf("state: %d items, %d mentions; want 6 and 3:\n%s", items, mentions, out)
	}

	// Claude Desktop is running: Chromium has the database open.
	b, session := chromiumSession(t, userData, port)
	p, f := readStorage(t, b, session)
	if !maps.Equal(p, origView[page]) || !maps.Equal(f, origView[part]) {
		t.Fatalf("Chromium does not see the fixture: page %v frame %v", p, f)
	}
	waitLockHeld(t, dir, b.Pid())

	out, errOut, code = runCLI(t, home, "--home", home, "reset", "github", "--json")
	if code != 0 {
		t.Fatalf("reset: %d %s %s", code, out, errOut)
	}
	noSecrets(t, "reset", out, errOut)
	var rs struct {
		Outcome string
		ID      string
		Steps   []struct {
			Store, Status, Reason string
			Changes               []journal.Change
		}
		Notes  []string
		PickUp []string `json:"pick_up"`
	}
	if err := json.Unmarshal([]byte(out), &rs); err != nil {
		t.Fatal(err)
	}
	wantReason := fmt.Sprintf("Claude Desktop is running (pid %d)", b.Pid())
	if rs.Outcome != "waiting" || len(rs.Steps) != 1 || rs.Steps[0].Status != "waiting" || len(rs.Steps[0].Changes) != 6 ||
		!strings.Contains(rs.Steps[0].Reason, wantReason) || !strings.Contains(rs.Steps[0].Reason, "quit Claude Desktop first") {
		t.Fatalf("reset while Desktop runs:\n%s", out)
	}
	if !strings.Contains(strings.Join(rs.Notes, " "), "apply-pending (pid") || !strings.Contains(strings.Join(rs.PickUp, " "), "applies as it exits") {
		t.Fatalf("the answer does not say what waits and what to do:\n%s", out)
	}
	// The detached worker takes its lock once it has started.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if running, _ := journal.WorkerRunning(env); running {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no apply-pending worker is waiting")
		}
	}
	if got := itemRows(t, dir); !maps.Equal(got, orig) {
		t.Fatal("the database changed while Desktop held it")
	}

	// The user quits Claude Desktop; the worker applies the reset.
	closeChromium(t, b)
	deadline := time.Now().Add(60 * time.Second)
	for {
		e, err := journal.Open(env, nil).Get(rs.ID)
		if err != nil {
			t.Fatal(err)
		}
		if s := e.Steps[0].Status; s == journal.StatusApplied {
			break
		} else if s != journal.StatusWaiting {
			t.Fatalf("step ended %s: %s", s, e.Steps[0].Reason)
		}
		if time.Now().After(deadline) {
			t.Fatal("apply-pending did not apply the reset within 60 s of Chromium quitting")
		}
		time.Sleep(200 * time.Millisecond)
	}
	waitWorkerGone(t, env)
	if log, err := os.ReadFile(filepath.Join(env.StateHome(), "apply-pending.log")); err == nil {
		noSecrets(t, "apply-pending.log", string(log))
		t.Logf("apply-pending.log:\n%s", log)
	}
	want := withoutGithubItems(origView)
	if got := decodeView(t, itemRows(t, dir)); !maps.Equal(got[page], want[page]) || !maps.Equal(got[part], want[part]) {
		t.Fatalf("after the reset LevelDB holds %v, want %v", got, want)
	}
	for _, tok := range githubTokens {
		for _, name := range filesIn(t, dir) {
			if b, _ := os.ReadFile(name); strings.Contains(string(b), tok) {
				t.Errorf("%s lingers in %s", tok, name)
			}
		}
	}

	// Claude Desktop starts again: the real engine reads the edited database.
	b, session = chromiumSession(t, userData, port)
	p, f = readStorage(t, b, session)
	closeChromium(t, b)
	if !maps.Equal(p, want[page]) || !maps.Equal(f, want[part]) {
		t.Fatalf("Chromium after the reset sees page %v frame %v; want %v %v", p, f, want[page], want[part])
	}
	if f["note"] != "partitioned" || p["mcp:github-tools:auth"] == "" || p["recentServers"] == "" || p["layout"] == "" || p["GitHub:display"] == "" {
		t.Fatalf("something besides github's items went: page %v frame %v", p, f)
	}
	noCorruption(t, dir)
	t.Logf("Chromium after the reset: page %d items, frame %v; files %v", len(p), f, filesIn(t, dir))

	out, errOut, code = runCLI(t, home, "--home", home, "undo", rs.ID, "--json")
	if code != 0 {
		t.Fatalf("undo: %s %s", out, errOut)
	}
	noSecrets(t, "undo", out, errOut)
	got := itemRows(t, dir)
	if !maps.Equal(got, orig) {
		t.Fatalf("undo is not byte for byte: %d item rows, want %d", len(got), len(orig))
	}
	b, session = chromiumSession(t, userData, port)
	p, f = readStorage(t, b, session)
	closeChromium(t, b)
	if !maps.Equal(p, origView[page]) || !maps.Equal(f, origView[part]) {
		t.Fatalf("Chromium after undo sees page %v frame %v", p, f)
	}
	noCorruption(t, dir)
}

func filesIn(t *testing.T, dir string) []string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, filepath.Join(dir, e.Name()))
	}
	return out
}

// TestDesktopConnectorState: a Desktop connector is in no config file, yet
// `mcpmend state` finds its Local Storage items by name, and reset works on
// it too (the lock is free: it applies at once).
func TestDesktopConnectorState(t *testing.T) {
	home, userData, dir := desktopHome(t)
	os.WriteFile(filepath.Join(userData, "claude_desktop_config.json"), []byte(`{"mcpServers":{}}`), 0o600)
	out, errOut, code := runCLI(t, home, "state", "github-tools")
	if code != 0 || !strings.Contains(out, "connector") || !strings.Contains(out, "local-storage-item") {
		t.Fatalf("state of a connector: %d\n%s\n%s", code, out, errOut)
	}
	noSecrets(t, "state", out, errOut)
	if _, errOut, code := runCLI(t, home, "state", "nonexistent-server"); code == 0 || !strings.Contains(errOut, "no server named") {
		t.Fatalf("an unknown name resolved: %s", errOut)
	}
	before := itemRows(t, dir)
	out, errOut, code = runCLI(t, home, "reset", "github-tools", "--json")
	if code != 0 || !strings.Contains(out, `"outcome": "applied"`) {
		t.Fatalf("reset of a connector: %s %s", out, errOut)
	}
	var gone []string
	after := itemRows(t, dir)
	for k, v := range decodeView(t, before) {
		for key := range v {
			if _, ok := decodeView(t, after)[k][key]; !ok {
				gone = append(gone, key)
			}
		}
	}
	sort.Strings(gone)
	if strings.Join(gone, ",") != "github-tools.lastUsed,mcp:github-tools:auth,mcp:github-tools:prefs" {
		t.Fatalf("reset of the github-tools connector removed %q", gone)
	}
}

// TestDesktopResetRefusesDamage: a truncated manifest refuses the reset with
// the reason and the file; nothing changes.
func TestDesktopResetRefusesDamage(t *testing.T) {
	home, _, dir := desktopHome(t)
	ms, _ := filepath.Glob(filepath.Join(dir, "MANIFEST-*"))
	b, _ := os.ReadFile(ms[0])
	os.WriteFile(ms[0], b[:len(b)/2], 0o644)
	before := snapshotFiles(t, dir)
	out, errOut, code := runCLI(t, home, "reset", "github")
	if code == 0 || !strings.Contains(errOut, "refused, nothing was changed") || !strings.Contains(errOut, "damaged") || !strings.Contains(errOut, dir) {
		t.Fatalf("reset of a damaged database: %d\n%s\n%s", code, out, errOut)
	}
	if after := snapshotFiles(t, dir); !maps.Equal(after, before) {
		t.Fatal("a refused reset changed the database")
	}
	out, _, _ = runCLI(t, home, "state", "github")
	if !strings.Contains(out, "DAMAGED") {
		t.Fatalf("state does not report the damage:\n%s", out)
	}
}

func snapshotFiles(t *testing.T, dir string) map[string]string {
	out := map[string]string{}
	for _, p := range filesIn(t, dir) {
		b, _ := os.ReadFile(p)
		out[filepath.Base(p)] = string(b)
	}
	return out
}

// TestDesktopResetCrashCLI kills `mcpmend reset` with SIGKILL after the
// staged batch, before and after the CURRENT switch: LevelDB sees the old or
// the new database, and the next command that replays the journal
// (`mcpmend apply-pending`) finishes the reset.
func TestDesktopResetCrashCLI(t *testing.T) {
	for _, pt := range []string{"localstorage-after-batch", "localstorage-before-commit", "localstorage-after-commit"} {
		t.Run(pt, func(t *testing.T) {
			home, _, dir := desktopHome(t)
			orig := itemRows(t, dir)
			want := withoutGithubItems(decodeView(t, orig))
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, binary, "reset", "github")
			cmd.Env = append(homeEnv(home), crashpoint.EnvVar+"="+pt)
			if !crashpoint.Killed(cmd.Run()) {
				t.Fatalf("mcpmend reset was not killed at %s", pt)
			}
			if now := itemRows(t, dir); !maps.Equal(now, orig) && !sameView(decodeView(t, now), want) {
				t.Fatalf("after a kill at %s the database is neither old nor new", pt)
			}
			if _, errOut, code := runCLI(t, home, "apply-pending", "--once"); code != 0 {
				t.Fatal(errOut)
			}
			out, errOut, code := runCLI(t, home, "status", "--json")
			if code != 0 {
				t.Fatal(errOut)
			}
			var s struct{ Resets []struct{ Status string } }
			if json.Unmarshal([]byte(out), &s); len(s.Resets) != 1 || s.Resets[0].Status != "applied" {
				t.Fatalf("after the next start: %s", out)
			}
			if got := decodeView(t, itemRows(t, dir)); !sameView(got, want) {
				t.Fatalf("after the next start: %v, want %v", got, want)
			}
			if _, err := desktop.Scan(context.Background(), dir, nil); err != nil {
				t.Fatalf("after the next start: %v", err)
			}
		})
	}
}
