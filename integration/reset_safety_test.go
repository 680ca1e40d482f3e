package integration

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tidwall/gjson"

	"github.com/mcpmend/mcpmend/cache/credentials"
	"github.com/mcpmend/mcpmend/cache/journal"
	"github.com/mcpmend/mcpmend/cache/mutation"
	"github.com/mcpmend/mcpmend/cache/needsauth"
	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/internal/jsonedit"
	"github.com/mcpmend/mcpmend/registry"
)

// claudeErr runs the real CLI and returns an error instead of failing the
// test, so it can run in a goroutine.
func claudeErr(claude, home string, args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, claude, args...)
	cmd.Dir = home
	cmd.Env = homeEnv(home)
	cmd.Stdin = strings.NewReader("")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("claude %s: %v: %s", strings.Join(args, " "), err, out.String())
	}
	return nil
}

// credKey is Claude Code's credentials key for an http server without
// headers: name|hex(sha256({"type":"http","url":…,"headers":{}}))[:16].
func credKey(name, url string) string {
	sum := sha256.Sum256([]byte(`{"type":"http","url":"` + url + `","headers":{}}`))
	return name + "|" + hex.EncodeToString(sum[:])[:16]
}

func isolatedEnv(home string) registry.Env {
	return registry.Env{Home: home, CWD: home, GOOS: "linux", Getenv: func(string) string { return "" }}
}

// TestEditorAndResetsAgainstRealClaudeCode runs the real `claude mcp
// add-json` / `remove` in a loop while mcpmend's config editor edits
// ~/.claude.json and mcpmend resets delete credentials entries, all on the
// same home. Both sides honour the same locks, so at the end both files
// parse, every entry either side wrote survives, and every entry either side
// removed is gone.
func TestEditorAndResetsAgainstRealClaudeCode(t *testing.T) {
	claude := npmBin(t, "claude")
	home := t.TempDir()
	env := isolatedEnv(home)
	const n = 12        // Claude Code's adds (every other one removed again)
	const maxOurs = 600 // mcpmend's iterations: it keeps going while Claude Code runs
	url := func(i int) string { return fmt.Sprintf("http://127.0.0.1:%d/mcp", 20000+i) }
	if err := claudeErr(claude, home, "mcp", "add-json", "-s", "user", "seed", `{"type":"http","url":"http://127.0.0.1:9/mcp"}`); err != nil {
		t.Fatal(err)
	}
	// Credentials: a token entry for every server Claude Code will remove
	// (c*), for every server mcpmend resets (m*), and bystanders (k*).
	creds := map[string]any{"claudeAiOauth": map[string]any{"accessToken": "CANARY-acct"}}
	oauth := map[string]any{}
	for i := range n {
		oauth[credKey(fmt.Sprintf("c%d", i), url(i))] = map[string]any{"serverName": fmt.Sprintf("c%d", i), "accessToken": "CANARY-c"}
	}
	for i := range maxOurs {
		oauth[fmt.Sprintf("m%d|%016d", i, i)] = map[string]any{"serverName": fmt.Sprintf("m%d", i), "accessToken": "CANARY-m"}
		oauth[fmt.Sprintf("k%d|%016d", i, i)] = map[string]any{"serverName": fmt.Sprintf("k%d", i), "accessToken": "CANARY-k"}
	}
	creds["mcpOAuth"] = oauth
	b, _ := json.Marshal(creds)
	os.MkdirAll(env.ClaudeConfigHome(), 0o700)
	if err := os.WriteFile(credentials.File(env), b, 0o600); err != nil {
		t.Fatal(err)
	}
	bystanderBefore := gjson.GetBytes(b, "mcpOAuth").Raw

	var wg sync.WaitGroup
	errs := make(chan error, 4*n)
	claudeDone := make(chan struct{})
	ours := 0
	wg.Go(func() { // Claude Code
		defer close(claudeDone)
		for i := range n {
			name := fmt.Sprintf("c%d", i)
			if err := claudeErr(claude, home, "mcp", "add-json", "-s", "user", name, `{"type":"http","url":"`+url(i)+`"}`); err != nil {
				errs <- err
				return
			}
			if i%2 == 0 {
				if err := claudeErr(claude, home, "mcp", "remove", "-s", "user", name); err != nil {
					errs <- err
					return
				}
			}
		}
	})
	wg.Go(func() { // mcpmend
		ed := &mutation.Editor{Env: env}
		for i := 0; i < maxOurs; i++ {
			select {
			case <-claudeDone:
				return
			default:
			}
			ours = i + 1
			time.Sleep(10 * time.Millisecond)
			name := fmt.Sprintf("e%d", i)
			v := json.RawMessage(`{"command":"echo","args":["` + name + `"]}`)
			if _, err := ed.Edit(context.Background(), env.ClaudeJSON(), []mutation.Edit{{Path: []string{"mcpServers", name}, Value: v}}); err != nil {
				errs <- err
				return
			}
			if i%3 == 0 {
				if _, err := ed.Edit(context.Background(), env.ClaudeJSON(), []mutation.Edit{{Path: []string{"mcpServers", name}}}); err != nil {
					errs <- err
					return
				}
			}
			if err := resetCredential(env, fmt.Sprintf("m%d|%016d", i, i)); err != nil {
				errs <- err
				return
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	cfg, _ := os.ReadFile(env.ClaudeJSON())
	if !gjson.ValidBytes(cfg) || !jsonedit.IsNode(cfg) {
		t.Fatalf("~/.claude.json no longer parses or lost Node's layout:\n%s", cfg)
	}
	t.Logf("Claude Code: %d adds, %d removes; mcpmend meanwhile: %d edit rounds and resets", n, (n+1)/2, ours)
	if ours < n {
		t.Fatalf("mcpmend's loop ran only %d rounds: the two sides barely overlapped", ours)
	}
	servers := gjson.GetBytes(cfg, "mcpServers")
	for i := range n {
		c := fmt.Sprintf("c%d", i)
		if got, want := servers.Get(c).Exists(), i%2 != 0; got != want {
			t.Errorf("Claude Code's %s present=%v, want %v", c, got, want)
		}
	}
	for i := range ours {
		e := fmt.Sprintf("e%d", i)
		if got, want := servers.Get(e).Exists(), i%3 != 0; got != want {
			t.Errorf("mcpmend's %s present=%v, want %v", e, got, want)
		}
	}
	if !servers.Get("seed").Exists() {
		t.Error("the seed entry was lost")
	}
	cr, _ := os.ReadFile(credentials.File(env))
	if !gjson.ValidBytes(cr) {
		t.Fatalf(".credentials.json does not parse")
	}
	if fi, _ := os.Stat(credentials.File(env)); runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf(".credentials.json mode %v", fi.Mode().Perm())
	}
	left := gjson.GetBytes(cr, "mcpOAuth")
	for i := range n {
		if got, want := left.Get(gjson.Escape(credKey(fmt.Sprintf("c%d", i), url(i)))).Exists(), i%2 != 0; got != want {
			t.Errorf("Claude Code's token for c%d present=%v, want %v", i, got, want)
		}
	}
	for i := range maxOurs {
		if got, want := left.Get(gjson.Escape(fmt.Sprintf("m%d|%016d", i, i))).Exists(), i >= ours; got != want {
			t.Errorf("mcpmend's m%d present=%v, want %v", i, got, want)
		}
		k := gjson.Escape(fmt.Sprintf("k%d|%016d", i, i))
		if left.Get(k).Raw != gjson.Get(bystanderBefore, k).Raw {
			t.Errorf("bystander k%d changed", i)
		}
	}
}

// resetCredential runs one journal reset removing key from .credentials.json.
func resetCredential(env registry.Env, key string) error {
	lock := credentials.Lock(env)
	m, err := mutation.PlanJSONDelete(store.Credentials, credentials.File(env), &lock, 0o600, jsonedit.Compact,
		[]mutation.JSONTarget{{Path: jsonedit.Path{"mcpOAuth", key}, Kind: "tokens"}})
	if err != nil {
		return err
	}
	j := journal.Open(env, nil)
	name, _, _ := strings.Cut(key, "|") // a step may only remove its own server's records
	e, err := j.Begin(journal.ServerRef{Name: name}, []journal.Mutation{m}, journal.BeginOptions{})
	if err != nil {
		return err
	}
	if e, err = j.Apply(context.Background(), e.ID); err != nil {
		return err
	}
	if st := e.Steps[0]; st.Status != journal.StatusApplied {
		return fmt.Errorf("reset of %s: %s (%s)", key, st.Status, st.Reason)
	}
	return nil
}

// TestInterruptedResetIsFinishedByAReplayingCommand: a reset recorded in the
// journal but never applied (the process died right after planning) is only
// reported by a read-only command (`mcpmend list`), and finished by one that
// replays the journal (`mcpmend apply-pending`).
func TestInterruptedResetIsFinishedByAReplayingCommand(t *testing.T) {
	home := t.TempDir()
	env := isolatedEnv(home)
	os.MkdirAll(env.ClaudeConfigHome(), 0o700)
	needs := needsauth.File(env)
	os.WriteFile(needs, []byte(`{"srv":{"timestamp":1},"other":{"timestamp":2}}`), 0o600)
	m, err := mutation.PlanJSONDelete(store.NeedsAuth, needs, nil, 0, jsonedit.Compact, []mutation.JSONTarget{{Path: jsonedit.Path{"srv"}}})
	if err != nil {
		t.Fatal(err)
	}
	e, err := journal.Open(env, nil).Begin(journal.ServerRef{Name: "srv"}, []journal.Mutation{m}, journal.BeginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, stderr, code := runCLI(t, home, "list", "--log-level", "info")
	if code != 0 {
		t.Fatalf("mcpmend list: %d %s", code, stderr)
	}
	if got, _ := os.ReadFile(needs); string(got) != `{"srv":{"timestamp":1},"other":{"timestamp":2}}` {
		t.Fatalf("a read-only command replayed the journal: %s", got)
	}
	if !strings.Contains(stderr, "pending steps") {
		t.Errorf("mcpmend list did not report the pending reset:\n%s", stderr)
	}
	if _, stderr, code := runCLI(t, home, "apply-pending", "--once"); code != 0 {
		t.Fatalf("mcpmend apply-pending: %d %s", code, stderr)
	}
	if got, _ := os.ReadFile(needs); string(got) != `{"other":{"timestamp":2}}` {
		t.Fatalf("needs-auth cache after the next start: %s", got)
	}
	if e, _ = journal.Open(env, nil).Get(e.ID); e.Steps[0].Status != journal.StatusApplied {
		t.Fatalf("journal: %+v", e.Steps[0])
	}
	out, _, code := runCLI(t, home, "apply-pending", "--once")
	if code != 0 || !strings.Contains(out, "nothing pending") {
		t.Fatalf("apply-pending --once: %d %q", code, out)
	}
}
