package integration

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tidwall/gjson"

	"github.com/mcpmend/mcpmend/cache"
	"github.com/mcpmend/mcpmend/cache/credentials"
	"github.com/mcpmend/mcpmend/cache/journal"
	"github.com/mcpmend/mcpmend/cache/needsauth"
	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/registry"
)

// soakServers is how many servers mcpmend resets in turn in the soak.
const soakServers = 8

// TestSoakResetUndoAgainstClaudeCode is the soak: MCPMEND_SOAK_ROUNDS
// interleaved resets and undos (every tenth through the built binary, the
// rest through the engine's public API: cache.PlanReset, cache.RunReset,
// journal.Undo) on one home while, all the time,
//
//   - the real Claude Code CLI loops `claude mcp add-json` / `claude mcp
//     remove` (it rewrites ~/.claude.json under its lock, and on remove
//     drops entries from .credentials.json under .storage-write.lock);
//   - a writer adds tokens to .credentials.json under Claude Code's lock
//     protocol (mkdir .storage-write.lock, stale after 15 s; temp file,
//     fsync, rename; rmdir).
//
// (The unlocked needs-auth cache against an in-place writer has its own
// race test in cache/needsauth.) Each side logs what it did; at the end
// every file parses, and every entry is present or accounted for: Claude
// Code's servers by its adds and removes, the writer's tokens all present,
// and each reset server's gate entries present exactly when the journal
// says its last reset was not applied (undone, or rolled back).
//
// It is a soak, not a timed test: it reports its figures and asserts none.
// .ci/run runs it once with a modest count; unset, it is skipped.
func TestSoakResetUndoAgainstClaudeCode(t *testing.T) {
	rounds, _ := strconv.Atoi(os.Getenv("MCPMEND_SOAK_ROUNDS"))
	if rounds <= 0 || testing.Short() {
		t.Skip("set MCPMEND_SOAK_ROUNDS=N to run the soak (.ci/run runs it once)")
	}
	claude := npmBin(t, "claude")
	home := t.TempDir()
	env := isolatedEnv(home)
	seedSoakHome(t, home)

	stop := make(chan struct{})
	var wg sync.WaitGroup
	cc := &soakClaude{claude: claude, home: home}
	cw := &soakCredsWriter{env: env}
	wg.Go(func() { cc.run(stop) })
	wg.Go(func() { cw.run(stop) })

	start := time.Now()
	ours := soakMcpmend(t, env, home, rounds)
	took := time.Since(start)
	close(stop)
	wg.Wait()
	t.Logf("soak: %d resets and %d undos (%d rounds through the binary; %d resets refused and rolled back, %d undos tried again) in %s (%.0f ms a round); meanwhile Claude Code: %d adds, %d removes; credentials writer: %d writes (%d lock waits)",
		ours.resets, ours.undos, ours.viaBinary, ours.refused, ours.undoRetries, took.Round(time.Second), float64(took.Milliseconds())/float64(rounds),
		len(cc.added), len(cc.removed), cw.written, cw.waits)
	for _, err := range append(append(ours.errs, cc.errs...), cw.errs...) {
		t.Error(err)
	}
	reconcileSoak(t, env, home, cc, cw)
}

func soakURL(p string, i int) string {
	return fmt.Sprintf("http://127.0.0.1:%d/mcp", map[string]int{"c": 24000, "m": 25000}[p]+i)
}

// seedSoakHome configures the servers mcpmend resets (m*), each with a
// tokenless gate-B entry and a needs-auth entry, and the Claude account.
func seedSoakHome(t *testing.T, home string) {
	cfg, oauth, needs := map[string]any{}, map[string]any{}, map[string]any{}
	stamp := time.Now().UnixMilli()
	for i := range soakServers {
		name, u := fmt.Sprintf("m%d", i), soakURL("m", i)
		cfg[name] = map[string]any{"type": "http", "url": u}
		oauth[credKey(name, u)] = map[string]any{"serverName": name, "serverUrl": u, "accessToken": "",
			"discoveryState": map[string]any{"oauthMetadataFound": true, "tokenlessRejectedAt": stamp}}
		needs[name] = map[string]any{"timestamp": stamp}
	}
	write := func(rel string, v any, indent bool) {
		b, _ := json.Marshal(v)
		if indent {
			b, _ = json.MarshalIndent(v, "", "  ")
		}
		p := filepath.Join(home, rel)
		os.MkdirAll(filepath.Dir(p), 0o700)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(".claude.json", map[string]any{"mcpServers": cfg}, true)
	write(".claude/.credentials.json", map[string]any{"claudeAiOauth": map[string]any{"accessToken": "CANARY-acct"}, "mcpOAuth": oauth}, false)
	write(".claude/mcp-needs-auth-cache.json", needs, false)
}

// soakClaude loops the real CLI: add c<i>, and remove every other one.
type soakClaude struct {
	claude, home   string
	added, removed []string
	errs           []error
}

func (c *soakClaude) run(stop <-chan struct{}) {
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		name := fmt.Sprintf("c%d", i)
		if err := claudeErr(c.claude, c.home, "mcp", "add-json", "-s", "user", name, `{"type":"http","url":"`+soakURL("c", i)+`"}`); err != nil {
			c.errs = append(c.errs, err)
			return
		}
		c.added = append(c.added, name)
		if i%2 == 0 {
			if err := claudeErr(c.claude, c.home, "mcp", "remove", "-s", "user", name); err != nil {
				c.errs = append(c.errs, err)
				return
			}
			c.removed = append(c.removed, name)
		}
	}
}

// soakCredsWriter adds a token entry w<j> to .credentials.json every 200 ms
// under Claude Code's lock protocol (Claude Code itself writes it when a
// token changes: far less often). A writer that holds the lock most of the
// time can keep mcpmend out for its whole wait (15 s): the reset is then
// refused and rolled back, and an undo is tried again, as a user would.
type soakCredsWriter struct {
	env            registry.Env
	written, waits int
	errs           []error
}

func (w *soakCredsWriter) run(stop <-chan struct{}) {
	for j := 0; ; j++ {
		select {
		case <-stop:
			return
		case <-time.After(200 * time.Millisecond):
		}
		if err := w.write(j); err != nil {
			w.errs = append(w.errs, err)
			return
		}
		w.written = j + 1
	}
}

func (w *soakCredsWriter) write(j int) error {
	file := credentials.File(w.env)
	lock := filepath.Join(filepath.Dir(file), ".storage-write.lock")
	for deadline := time.Now().Add(time.Minute); ; {
		err := os.Mkdir(lock, 0o700)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrExist) || time.Now().After(deadline) {
			return fmt.Errorf("credentials writer: take %s: %v", lock, err)
		}
		if fi, err := os.Stat(lock); err == nil && time.Since(fi.ModTime()) > 15*time.Second {
			os.RemoveAll(lock) // stale, as proper-lockfile judges it
			continue
		}
		w.waits++
		time.Sleep(5 * time.Millisecond)
	}
	defer os.Remove(lock)
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("credentials writer: %s does not parse: %v", file, err)
	}
	var oauth map[string]json.RawMessage
	if raw, ok := doc["mcpOAuth"]; ok {
		if err := json.Unmarshal(raw, &oauth); err != nil {
			return err
		}
	}
	if oauth == nil {
		oauth = map[string]json.RawMessage{}
	}
	oauth[soakCredKey(j)] = json.RawMessage(`{"serverName":"w` + strconv.Itoa(j) + `","accessToken":"CANARY-w"}`)
	doc["mcpOAuth"], _ = json.Marshal(oauth)
	out, _ := json.Marshal(doc)
	var rnd [6]byte
	rand.Read(rnd[:])
	tmp := file + ".tmp." + strconv.Itoa(os.Getpid()) + "." + hex.EncodeToString(rnd[:])
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(out)
	if err == nil {
		err = f.Sync()
	}
	f.Close()
	if err == nil {
		err = os.Rename(tmp, file)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

func soakCredKey(j int) string { return fmt.Sprintf("w%d|%016d", j, j) }

// soakResult is what mcpmend's side did.
type soakResult struct {
	resets, undos, viaBinary, refused, undoRetries int
	errs                                           []error
}

// soakMcpmend resets m<r mod soakServers> in round r and undoes round r-1's
// reset, so resets and undos interleave and every server's reset is undone
// before it is reset again; the last reset stays applied.
func soakMcpmend(t *testing.T, env registry.Env, home string, rounds int) soakResult {
	var res soakResult
	prev := ""
	start := time.Now()
	for r := 0; r < rounds && len(res.errs) == 0; r++ {
		if r > 0 && r%100 == 0 {
			t.Logf("soak: %d rounds in %s (%d resets refused and rolled back, %d undos tried again)",
				r, time.Since(start).Round(time.Second), res.refused, res.undoRetries)
		}
		name := fmt.Sprintf("m%d", r%soakServers)
		binary := r%10 == 0
		id, err := soakReset(env, home, name, binary)
		var refused *soakRefused
		if errors.As(err, &refused) {
			res.refused++ // rolled back, nothing changed: accounted for by the journal
			continue
		}
		if err != nil {
			res.errs = append(res.errs, fmt.Errorf("round %d: reset %s: %w", r, name, err))
			break
		}
		res.resets++
		if prev != "" {
			err := soakUndo(env, home, prev, binary)
			for try := 0; err != nil && strings.Contains(err.Error(), "is held by") && try < 3; try++ {
				res.undoRetries++
				err = soakUndo(env, home, prev, binary)
			}
			if err != nil {
				res.errs = append(res.errs, fmt.Errorf("round %d: undo %s: %w", r, prev, err))
				break
			}
			res.undos++
		}
		if binary {
			res.viaBinary++
		}
		prev = id
	}
	return res
}

func soakReset(env registry.Env, home, name string, binary bool) (string, error) {
	if binary {
		out, err := mcpmendErr(home, "reset", name, "--json", "--client", "claude-code")
		var r resetResult
		if err == nil {
			err = json.Unmarshal(out, &r)
		}
		if err == nil && r.Outcome == "refused" {
			return "", &soakRefused{}
		}
		if err != nil || r.Outcome != "applied" {
			return "", fmt.Errorf("mcpmend reset: %v: %s", err, out)
		}
		return r.ID, nil
	}
	ctx := context.Background()
	inv := registry.Discover(env)
	var srv *registry.Server
	for i := range inv.Servers {
		if s := inv.Servers[i]; s.Name == name && s.Client == registry.ClaudeCode {
			srv = &inv.Servers[i]
		}
	}
	if srv == nil {
		return "", fmt.Errorf("%s is not configured any more", name)
	}
	muts, err := cache.PlanReset(ctx, env, store.ResetRequest{Server: *srv, Configured: inv.Servers}, cache.DefaultResetPlanners(inv.Servers, nil))
	if err != nil {
		return "", err
	}
	if len(muts) != 2 {
		return "", fmt.Errorf("planned %d steps, want 2 (gate B and gate A)", len(muts))
	}
	ref := journal.ServerRef{Name: srv.Name, Client: srv.Client, Scope: srv.Scope, File: srv.File}
	e, err := cache.RunReset(ctx, journal.Open(env, nil), ref, muts)
	if err != nil {
		return "", err
	}
	if cache.Failed(e) {
		for _, s := range e.Steps {
			if s.Status == journal.StatusApplied {
				return "", fmt.Errorf("%s refused but not rolled back: %s", e.ID, stepsOf(e))
			}
		}
		return "", &soakRefused{e}
	}
	for _, s := range e.Steps {
		if s.Status != journal.StatusApplied {
			return "", fmt.Errorf("%s: %s", e.ID, stepsOf(e))
		}
	}
	return e.ID, nil
}

// soakRefused is a reset a store refused (a lock held too long, a file
// that kept changing) and that was rolled back whole.
type soakRefused struct{ e *journal.Entry }

func (r *soakRefused) Error() string { return "refused and rolled back: " + stepsOf(r.e) }

func soakUndo(env registry.Env, home, id string, binary bool) error {
	if binary {
		_, err := mcpmendErr(home, "undo", id)
		return err
	}
	e, err := journal.Open(env, nil).Undo(context.Background(), id)
	if err != nil {
		return err
	}
	for _, s := range e.Steps {
		if s.Status != journal.StatusUndone {
			return fmt.Errorf("%s: %s", e.ID, stepsOf(e))
		}
	}
	return nil
}

// stepsOf lists each step's store, status and reason.
func stepsOf(e *journal.Entry) string {
	if e == nil {
		return "no reset"
	}
	out := ""
	for _, s := range e.Steps {
		out += fmt.Sprintf("[%s: %s %s] ", s.Store, s.Status, s.Reason)
	}
	return out
}

// reconcileSoak checks every file and accounts for every entry.
func reconcileSoak(t *testing.T, env registry.Env, home string, cc *soakClaude, cw *soakCredsWriter) {
	t.Helper()
	read := func(p string) gjson.Result {
		b, err := os.ReadFile(p)
		if err != nil || !gjson.ValidBytes(b) {
			t.Fatalf("%s does not parse (%v):\n%.300s", p, err, b)
		}
		return gjson.ParseBytes(b)
	}
	cfg, creds, needs := read(env.ClaudeJSON()), read(credentials.File(env)), read(needsauth.File(env))

	servers := cfg.Get("mcpServers")
	removed := map[string]bool{}
	for _, n := range cc.removed {
		removed[n] = true
	}
	for _, n := range cc.added {
		if got := servers.Get(n).Exists(); got == removed[n] {
			t.Errorf("Claude Code's %s present=%v after it was added (removed: %v)", n, got, removed[n])
		}
	}
	if creds.Get("claudeAiOauth.accessToken").String() != "CANARY-acct" {
		t.Error("the Claude account's entry changed")
	}
	oauth := creds.Get("mcpOAuth")
	missing := 0
	for j := range cw.written {
		if !oauth.Get(gjson.Escape(soakCredKey(j))).Exists() {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d of the credentials writer's %d entries are missing", missing, cw.written)
	}
	// The reset servers: each gate entry is present exactly when the step
	// of the server's last reset that removed it is not applied.
	last := lastEntries(t, env)
	for i := range soakServers {
		name := fmt.Sprintf("m%d", i)
		if !servers.Get(name).Exists() {
			t.Errorf("config entry %s was lost", name)
		}
		applied := map[string]bool{}
		e, ok := last[name]
		if ok {
			for _, s := range e.Steps {
				applied[s.Store] = s.Status == journal.StatusApplied
				if s.Status != journal.StatusApplied && s.Status != journal.StatusUndone {
					t.Errorf("%s: the last reset %s left %s %s (%s)", name, e.ID, s.Store, s.Status, s.Reason)
				}
			}
		}
		if got := oauth.Get(gjson.Escape(credKey(name, soakURL("m", i)))).Exists(); got == applied[store.Credentials] {
			t.Errorf("%s: gate B entry present=%v, the journal says %s", name, got, stepsOf(e))
		}
		if got := needs.Get(name).Exists(); got == applied[store.NeedsAuth] {
			t.Errorf("%s: needs-auth entry present=%v, the journal says %s", name, got, stepsOf(e))
		}
	}
	left, _ := filepath.Glob(filepath.Join(home, ".claude", "*.tmp.*"))
	unmerged, _ := filepath.Glob(filepath.Join(home, ".claude", "*unmerged*"))
	if len(left)+len(unmerged) > 0 {
		t.Errorf("left in ~/.claude: %v %v", left, unmerged)
	}
}

// lastEntries is each server's newest journal entry.
func lastEntries(t *testing.T, env registry.Env) map[string]*journal.Entry {
	t.Helper()
	entries, err := journal.Open(env, nil).List()
	if err != nil {
		t.Fatal(err)
	}
	sort.SliceStable(entries, func(a, b int) bool { return entries[a].ID < entries[b].ID })
	last := map[string]*journal.Entry{}
	for _, e := range entries {
		last[e.Server.Name] = e
	}
	return last
}
