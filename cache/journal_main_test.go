package cache

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpmend/mcpmend/cache/credentials"
	"github.com/mcpmend/mcpmend/cache/internal/storetest"
	"github.com/mcpmend/mcpmend/cache/journal"
	"github.com/mcpmend/mcpmend/cache/mutation"
	"github.com/mcpmend/mcpmend/cache/needsauth"
	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/internal/jsonedit"
	"github.com/mcpmend/mcpmend/internal/lockedfile"
	"github.com/mcpmend/mcpmend/internal/testfs"
	"github.com/mcpmend/mcpmend/registry"
)

// The cache test binary re-executes itself as a helper process when
// CACHE_TEST_HELPER names a mode, so locks, crashes and the detached worker
// are exercised with real processes.
func TestMain(m *testing.M) {
	mode := os.Getenv("CACHE_TEST_HELPER")
	if mode == "" {
		os.Exit(m.Run())
	}
	if err := runHelper(mode); err != nil {
		fmt.Println("helper error:", err)
		os.Exit(3)
	}
	os.Exit(0)
}

func runHelper(mode string) error {
	env := helperEnv()
	ctx := context.Background()
	switch mode {
	case "reset": // plan and apply the standard reset (crash points apply)
		muts, err := planStandard(env)
		if err != nil {
			return err
		}
		j := journal.Open(env, nil)
		e, err := j.Begin(journal.ServerRef{Name: "srv", Client: "claude-code"}, muts, journal.BeginOptions{})
		if err != nil {
			return err
		}
		_, err = j.Apply(ctx, e.ID)
		return err
	case "undo":
		_, err := journal.Open(env, nil).Undo(ctx, os.Getenv("RESET_ID"))
		return err
	case "hold": // hold a lock until stdin closes
		l := lockedfile.DirLock{Path: os.Getenv("LOCK_PATH"), Stale: 15 * time.Second, OwnerFile: os.Getenv("LOCK_OWNERFILE") == "1"}
		h, err := l.Acquire(ctx)
		if err != nil {
			return err
		}
		fmt.Println("locked")
		io.Copy(io.Discard, os.Stdin)
		return h.Release()
	case "spawner": // start the detached worker, print its pid, exit at once
		exe, _ := os.Executable()
		pid, err := journal.SpawnWorker(env, journal.WorkerCommand{Path: exe, Args: []string{"-test.run=^$"},
			Env: append(os.Environ(), "CACHE_TEST_HELPER=worker")})
		if err != nil {
			return err
		}
		fmt.Println(pid)
		return nil
	case "worker":
		maxWait, _ := time.ParseDuration(os.Getenv("WORKER_MAX_WAIT"))
		rep, err := journal.RunPending(ctx, env, journal.PendingOptions{MaxWait: maxWait, Poll: 50 * time.Millisecond, MaxPoll: 200 * time.Millisecond})
		if err != nil {
			return err
		}
		fmt.Println("worker done, waiting:", rep.Waiting)
		return nil
	}
	return fmt.Errorf("unknown helper mode %q", mode)
}

// helperEnv is the Env a helper works in: HOME from TEST_HOME.
func helperEnv() registry.Env {
	return storetest.Env(os.Getenv("TEST_HOME"))
}

func helperCmd(home, mode string, env ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), append([]string{"CACHE_TEST_HELPER=" + mode, "TEST_HOME=" + home}, env...)...)
	return cmd
}

// holdLock starts a helper process holding lock path until release is called.
func holdLock(t *testing.T, home, path string, ownerFile bool) (pid int, release func()) {
	t.Helper()
	env := []string{"LOCK_PATH=" + path}
	if ownerFile {
		env = append(env, "LOCK_OWNERFILE=1")
	}
	cmd := helperCmd(home, "hold", env...)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if line, _ := bufio.NewReader(stdout).ReadString('\n'); strings.TrimSpace(line) != "locked" {
		t.Fatalf("lock holder did not start: %q", line)
	}
	var once sync.Once
	release = func() {
		once.Do(func() { stdin.Close(); cmd.Wait() })
	}
	t.Cleanup(release)
	return cmd.Process.Pid, release
}

// The standard scene: Claude Code's credentials (compact, 0600, under
// .storage-write.lock) and needs-auth cache (compact, no lock) holding
// entries for "srv" and a bystander "other".
const (
	stdCreds = `{"claudeAiOauth":{"accessToken":"CANARY-account"},"mcpOAuth":{"srv|78d8e2894fc42213":{"serverName":"srv","serverUrl":"http://127.0.0.1:4131/mcp","accessToken":"","discoveryState":{"oauthMetadataFound":true,"tokenlessRejectedAt":1795710000000}},"other|0123456789abcdef":{"serverName":"other","accessToken":"CANARY-other","refreshToken":"CANARY-r"}},"mcpOAuthClientConfig":{"srv|78d8e2894fc42213":{"clientId":"c1"}}}`
	stdNeeds = `{"srv":{"timestamp":1795710000000},"other":{"timestamp":1795710000001,"ttlMs":900000}}`
)

func writeStandard(t *testing.T, home string) (creds, needs string) {
	t.Helper()
	env := storetest.Env(home)
	creds, needs = credentials.File(env), needsauth.File(env)
	testfs.WriteFile(t, creds, stdCreds)
	testfs.WriteFile(t, needs, stdNeeds)
	return creds, needs
}

// planStandard plans removing everything of "srv" from both stores.
func planStandard(env registry.Env) ([]journal.Mutation, error) {
	lock := credentials.Lock(env)
	if w, err := time.ParseDuration(os.Getenv("LOCK_WAIT")); err == nil {
		lock.Wait = w
	}
	creds, err := mutation.PlanJSONDelete(store.Credentials, credentials.File(env), &lock, 0o600, jsonedit.Compact, []mutation.JSONTarget{
		{Path: jsonedit.Path{"mcpOAuth", "srv|78d8e2894fc42213"}, Kind: "tokenless-rejection"},
		{Path: jsonedit.Path{"mcpOAuthClientConfig", "srv|78d8e2894fc42213"}, Kind: "client-config"},
	})
	if err != nil {
		return nil, err
	}
	needs, err := mutation.PlanJSONDelete(store.NeedsAuth, needsauth.File(env), nil, 0, jsonedit.Compact, []mutation.JSONTarget{
		{Path: jsonedit.Path{"srv"}, Kind: store.KindNeedsAuth},
	})
	if err != nil {
		return nil, err
	}
	return []journal.Mutation{creds, needs}, nil
}

// Expected bytes after the standard reset: what Claude Code itself would
// write (compact JSON.stringify) with srv's keys gone.
const (
	newCreds = `{"claudeAiOauth":{"accessToken":"CANARY-account"},"mcpOAuth":{"other|0123456789abcdef":{"serverName":"other","accessToken":"CANARY-other","refreshToken":"CANARY-r"}},"mcpOAuthClientConfig":{}}`
	newNeeds = `{"other":{"timestamp":1795710000001,"ttlMs":900000}}`
)

func readString(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func onlyEntry(t *testing.T, env registry.Env) *journal.Entry {
	t.Helper()
	es, err := journal.Open(env, nil).List()
	if err != nil || len(es) != 1 {
		t.Fatalf("journal has %d entries (%v), want 1", len(es), err)
	}
	return es[0]
}

func statuses(e *journal.Entry) string {
	var s []string
	for _, st := range e.Steps {
		s = append(s, string(st.Status)+st.Phase)
	}
	return strings.Join(s, ",")
}
