package cache

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tidwall/gjson"

	"github.com/mcpmend/mcpmend/cache/credentials"
	"github.com/mcpmend/mcpmend/cache/internal/storetest"
	"github.com/mcpmend/mcpmend/cache/journal"
	"github.com/mcpmend/mcpmend/cache/mcpremote"
	"github.com/mcpmend/mcpmend/cache/mutation"
	"github.com/mcpmend/mcpmend/cache/needsauth"
	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/internal/keychain"
	"github.com/mcpmend/mcpmend/internal/lockedfile"
	"github.com/mcpmend/mcpmend/internal/testfs"
	"github.com/mcpmend/mcpmend/registry"
)

// The reset scene: "srv" (http, no headers) and a bystander "other", whose
// bytes must never change. srvKey is srv's credentials key.
const (
	srvEntry   = `{"type":"http","url":"http://127.0.0.1:4131/mcp"}`
	srvKey     = "srv|78d8e2894fc42213"
	otherOAuth = `{"serverName":"other","accessToken":"CANARY-other","refreshToken":"CANARY-r"}`
	otherNeeds = `{"timestamp":1795710000001,"ttlMs":900000}`
)

func credsWith(srvOAuth, srvClientConfig string, extra ...string) string {
	oauth := `"other|0123456789abcdef":` + otherOAuth
	if srvOAuth != "" {
		oauth = `"` + srvKey + `":` + srvOAuth + "," + oauth
	}
	for _, e := range extra {
		oauth += "," + e
	}
	s := `{"claudeAiOauth":{"accessToken":"CANARY-account"},"mcpOAuth":{` + oauth + `}`
	if srvClientConfig != "" {
		s += `,"mcpOAuthClientConfig":{"` + srvKey + `":` + srvClientConfig + `}`
	}
	return s + "}"
}

const (
	tokenlessAB = `{"serverName":"srv","serverUrl":"http://127.0.0.1:4131/mcp","accessToken":"","discoveryState":{"oauthMetadataFound":true,"tokenlessRejectedAt":1795710000000}}`
	withTokens  = `{"serverName":"srv","accessToken":"CANARY-tok","refreshToken":"CANARY-ref","discoveryState":{"oauthMetadataFound":true,"tokenlessRejectedAt":1795710000000,"registrationNotOfferedAt":1795710000000}}`
	clientCfg   = `{"clientSecret":"CANARY-secret"}`
	orphan      = `"srv|00000000deadbeef":{"serverName":"srv","accessToken":"CANARY-old"}`
)

// planAndRun plans a reset of srv in home and applies it through the journal.
func planAndRun(t *testing.T, env registry.Env, srv registry.Server, forget bool, kc *keychain.Client) (*journal.Entry, []journal.Mutation) {
	t.Helper()
	req := store.ResetRequest{Server: srv, Configured: []registry.Server{srv}, ForgetTokens: forget, LockWait: 500 * time.Millisecond}
	muts, err := PlanReset(context.Background(), env, req, DefaultResetPlanners(req.Configured, kc))
	if err != nil {
		t.Fatal(err)
	}
	if len(muts) == 0 {
		return nil, nil
	}
	e, err := RunReset(context.Background(), journal.Open(env, nil), journal.ServerRef{Name: srv.Name, Client: srv.Client}, muts)
	if err != nil {
		t.Fatal(err)
	}
	return e, muts
}

// TestResetClaudeCodeStores plans and applies resets of srv over several
// states of Claude Code's two files and checks the exact bytes left: what
// goes, what stays, and that the bystander's values are untouched.
func TestResetClaudeCodeStores(t *testing.T) {
	cases := []struct {
		name           string
		creds, needs   string
		forget         bool
		wantCreds      string
		wantNeeds      string
		wantChanges    int
		wantKeyChanges []string
	}{
		{name: "tokenless entry with gate B goes whole, the client config stays",
			creds: credsWith(tokenlessAB, clientCfg), needs: `{"srv":{"timestamp":1795710000000},"other":` + otherNeeds + `}`,
			wantCreds:   credsWith("", clientCfg),
			wantNeeds:   `{"other":` + otherNeeds + `}`,
			wantChanges: 2, wantKeyChanges: []string{`mcpOAuth["` + srvKey + `"]`, `srv`}},
		{name: "tokens are kept, only the stamps go",
			creds:       credsWith(withTokens, ""),
			wantCreds:   credsWith(`{"serverName":"srv","accessToken":"CANARY-tok","refreshToken":"CANARY-ref","discoveryState":{"oauthMetadataFound":true}}`, ""),
			wantChanges: 2},
		{name: "forget_tokens removes the entry, its client config and orphans",
			creds: credsWith(withTokens, clientCfg, orphan), forget: true,
			wantCreds:   `{"claudeAiOauth":{"accessToken":"CANARY-account"},"mcpOAuth":{"other|0123456789abcdef":` + otherOAuth + `},"mcpOAuthClientConfig":{}}`,
			wantChanges: 3},
		{name: "an orphan is left alone without forget_tokens",
			creds: credsWith(`{"serverName":"srv","accessToken":"CANARY-tok"}`, "", orphan)},
		{name: "nothing remembered: nothing to reset",
			creds: credsWith("", ""), needs: `{"other":` + otherNeeds + `}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			home := t.TempDir()
			env := storetest.Env(home)
			testfs.WriteFile(t, credentials.File(env), tc.creds)
			if tc.needs != "" {
				testfs.WriteFile(t, needsauth.File(env), tc.needs)
			}
			srv := storetest.ClaudeServer(t, "srv", srvEntry)
			e, muts := planAndRun(t, env, srv, tc.forget, nil)
			var changes []journal.Change
			for _, m := range muts {
				changes = append(changes, m.Describe()...)
			}
			if len(changes) != tc.wantChanges {
				t.Fatalf("%d changes, want %d: %+v", len(changes), tc.wantChanges, changes)
			}
			for i, k := range tc.wantKeyChanges {
				if changes[i].Key != k {
					t.Errorf("change %d key %s, want %s", i, changes[i].Key, k)
				}
			}
			want := tc.wantCreds
			if want == "" {
				want = tc.creds
			}
			if got := readString(t, credentials.File(env)); got != want {
				t.Errorf("credentials:\n%s\nwant\n%s", got, want)
			}
			if tc.needs != "" {
				wantN := tc.wantNeeds
				if wantN == "" {
					wantN = tc.needs
				}
				if got := readString(t, needsauth.File(env)); got != wantN {
					t.Errorf("needs-auth: %s, want %s", got, wantN)
				}
			}
			if e == nil {
				if tc.wantChanges != 0 {
					t.Fatal("no journal entry")
				}
				return
			}
			for _, s := range e.Steps {
				if s.Status != journal.StatusApplied {
					t.Fatalf("step %s: %s (%s)", s.Store, s.Status, s.Reason)
				}
			}
			got, _ := os.ReadFile(credentials.File(env))
			if gjson.GetBytes(got, gjson.Escape("mcpOAuth")+"."+gjson.Escape("other|0123456789abcdef")).Raw != otherOAuth {
				t.Error("the bystander's entry changed")
			}
			// Undo brings back both files byte for byte.
			if _, err := journal.Open(env, nil).Undo(context.Background(), e.ID); err != nil {
				t.Fatal(err)
			}
			if got := readString(t, credentials.File(env)); got != tc.creds {
				t.Errorf("credentials after undo:\n%s\nwant\n%s", got, tc.creds)
			}
			if tc.needs != "" && readString(t, needsauth.File(env)) != tc.needs {
				t.Errorf("needs-auth after undo: %s", readString(t, needsauth.File(env)))
			}
		})
	}
}

// TestResetOnlyTouchesClaudeCodeFilesForClaudeCodeServers: a stdio server
// has no credentials key, and a Claude Desktop server of the same name
// shares nothing with Claude Code's files.
func TestResetOnlyTouchesClaudeCodeFilesForClaudeCodeServers(t *testing.T) {
	home := t.TempDir()
	env := storetest.Env(home)
	creds := credsWith(tokenlessAB, "")
	testfs.WriteFile(t, credentials.File(env), creds)
	stdio := storetest.ClaudeServer(t, "srv", `{"command":"echo"}`)
	desktop := storetest.ClaudeServer(t, "srv", srvEntry)
	desktop.Client = registry.ClaudeDesktop
	for _, srv := range []registry.Server{stdio, desktop} {
		muts, err := PlanReset(context.Background(), env, store.ResetRequest{Server: srv}, DefaultResetPlanners(nil, nil))
		if err != nil || len(muts) != 0 {
			t.Errorf("%s %s: %d mutations, %v", srv.Client, srv.Transport, len(muts), err)
		}
	}
}

// TestResetRefusesADamagedStore: a credentials file that does not parse
// refuses the whole reset, naming the file; the needs-auth entry, which
// could be removed, is not touched either.
func TestResetRefusesADamagedStore(t *testing.T) {
	home := t.TempDir()
	env := storetest.Env(home)
	testfs.WriteFile(t, credentials.File(env), `{"mcpOAuth":{"srv|78d8e2894fc42213":`)
	testfs.WriteFile(t, needsauth.File(env), stdNeeds)
	srv := storetest.ClaudeServer(t, "srv", srvEntry)
	_, err := PlanReset(context.Background(), env, store.ResetRequest{Server: srv}, DefaultResetPlanners(nil, nil))
	if err == nil || !strings.Contains(err.Error(), credentials.File(env)) || !strings.Contains(err.Error(), "nothing was changed") {
		t.Fatalf("err = %v", err)
	}
	if readString(t, needsauth.File(env)) != stdNeeds {
		t.Fatal("needs-auth changed")
	}
}

// TestResetChangedBetweenPlanAndApply: Claude Code rewrites srv's entry
// after the plan; the credentials step refuses, the needs-auth step that
// already went through is rolled back, and both files hold what they held
// (the credentials file: Claude Code's newer bytes).
func TestResetChangedBetweenPlanAndApply(t *testing.T) {
	home := t.TempDir()
	env := storetest.Env(home)
	testfs.WriteFile(t, credentials.File(env), credsWith(tokenlessAB, ""))
	needs := `{"srv":{"timestamp":1795710000000},"other":` + otherNeeds + `}`
	testfs.WriteFile(t, needsauth.File(env), needs)
	srv := storetest.ClaudeServer(t, "srv", srvEntry)
	muts, err := PlanReset(context.Background(), env, store.ResetRequest{Server: srv}, DefaultResetPlanners(nil, nil))
	if err != nil || len(muts) != 2 {
		t.Fatalf("%d mutations, %v", len(muts), err)
	}
	newer := credsWith(strings.Replace(tokenlessAB, "1795710000000", "1795710009999", 1), "")
	testfs.WriteFile(t, credentials.File(env), newer)
	e, err := RunReset(context.Background(), journal.Open(env, nil), journal.ServerRef{Name: "srv"}, muts)
	if err != nil {
		t.Fatal(err)
	}
	if e.Steps[0].Status != journal.StatusFailed || !strings.Contains(e.Steps[0].Reason, "rewritten since the reset was planned") {
		t.Fatalf("credentials step: %+v", e.Steps[0])
	}
	if e.Steps[1].Status != journal.StatusUndone {
		t.Fatalf("needs-auth step after the other failed: %+v", e.Steps[1])
	}
	if readString(t, credentials.File(env)) != newer || readString(t, needsauth.File(env)) != needs {
		t.Fatal("a file changed although the reset was refused")
	}
}

// TestResetRefusedWhileClaudeCodeHoldsItsLock: another process keeps
// .storage-write.lock fresh for longer than the reset waits; the reset is
// refused naming the lock, and nothing changes in either file.
func TestResetRefusedWhileClaudeCodeHoldsItsLock(t *testing.T) {
	home := t.TempDir()
	env := storetest.Env(home)
	creds := credsWith(tokenlessAB, "")
	needs := `{"srv":{"timestamp":1795710000000}}`
	testfs.WriteFile(t, credentials.File(env), creds)
	testfs.WriteFile(t, needsauth.File(env), needs)
	_, release := holdLock(t, home, credentials.Lock(env).Path, false)
	defer release()
	srv := storetest.ClaudeServer(t, "srv", srvEntry)
	e, _ := planAndRun(t, env, srv, false, nil)
	if !Failed(e) || !strings.Contains(e.Steps[0].Reason, ".storage-write.lock") {
		t.Fatalf("steps under a held lock: %+v", e.Steps)
	}
	if readString(t, credentials.File(env)) != creds || readString(t, needsauth.File(env)) != needs {
		t.Fatal("a file changed while Claude Code held its lock")
	}
}

// TestResetKeychainItem runs the reset against the Keychain item through the
// stand-in security(1): the item loses srv's entry, keeps everything else,
// and undo writes back the exact blob.
func TestResetKeychainItem(t *testing.T) {
	sec, _ := fakeSecurity(t)
	kc := &keychain.Client{Security: sec}
	home := t.TempDir()
	env := storetest.Env(home, "USER", "tester")
	item := credentials.KeychainItem(env)
	blob := credsWith(tokenlessAB, clientCfg)
	ctx := context.Background()
	if err := kc.Add(ctx, item, []byte(blob)); err != nil {
		t.Fatal(err)
	}
	srv := storetest.ClaudeServer(t, "srv", srvEntry)
	e, muts := planAndRun(t, env, srv, false, kc)
	if len(muts) != 1 || muts[0].Store() != store.Keychain || e.Steps[0].Status != journal.StatusApplied {
		t.Fatalf("mutations %d, entry %+v", len(muts), e)
	}
	got, _, err := kc.Find(ctx, item)
	if err != nil || string(got) != credsWith("", clientCfg) {
		t.Fatalf("keychain after reset: %s (%v)", got, err)
	}
	if _, err := os.Stat(credentials.Lock(env).Path); !errors.Is(err, os.ErrNotExist) {
		t.Error("the storage lock was left behind")
	}
	if _, err := journal.Open(env, nil).Undo(ctx, e.ID); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := kc.Find(ctx, item); string(got) != blob {
		t.Fatalf("keychain after undo:\n%s\nwant\n%s", got, blob)
	}
}

// mcpRemoteScene writes mcp-remote files for two servers and returns the
// first server and its files by kind.
func mcpRemoteScene(t *testing.T, home string, withTokens bool) (registry.Server, map[string]string, map[string]string) {
	t.Helper()
	srv := storetest.ClaudeServer(t, "remote", `{"command":"npx","args":["-y","mcp-remote","https://a.example/mcp"]}`)
	dir := filepath.Join(home, ".mcp-auth", "mcp-remote-v1")
	hashA := mcpremote.Parse([]string{"https://a.example/mcp"}, nil).Hash
	hashB := mcpremote.Parse([]string{"https://b.example/mcp"}, nil).Hash
	mine := map[string]string{
		mcpremote.KindClient: hashA + "_client_info.json",
		mcpremote.KindFlow:   hashA + "_code_verifier_s1.txt",
		mcpremote.KindLease:  hashA + "_refresh_in_progress.json",
	}
	if withTokens {
		mine[mcpremote.KindTokens] = hashA + "_tokens.json"
	}
	others := map[string]string{"tokens": hashB + "_tokens.json", "client": hashB + "_client_info.json"}
	for kind, name := range mine {
		testfs.WriteFile(t, filepath.Join(dir, name), `{"kind":"`+kind+`","access_token":"CANARY-a"}`)
	}
	for _, name := range others {
		testfs.WriteFile(t, filepath.Join(dir, name), `{"access_token":"CANARY-b"}`)
	}
	os.Chmod(filepath.Join(dir, mine[mcpremote.KindClient]), 0o644)
	return srv, mine, others
}

// TestResetMCPRemoteFiles: only the server's own files go, tokens (and the
// registration they belong to) only with forget_tokens, leases never; the
// other server's files are untouched; undo restores content and mode.
func TestResetMCPRemoteFiles(t *testing.T) {
	cases := []struct {
		name       string
		withTokens bool
		forget     bool
		gone       []string
	}{
		{"no tokens: registration and sign-in go", false, false, []string{mcpremote.KindClient, mcpremote.KindFlow}},
		{"tokens kept with their registration", true, false, []string{mcpremote.KindFlow}},
		{"forget_tokens", true, true, []string{mcpremote.KindClient, mcpremote.KindFlow, mcpremote.KindTokens}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			home := t.TempDir()
			env := storetest.Env(home)
			srv, mine, others := mcpRemoteScene(t, home, tc.withTokens)
			dir := filepath.Join(home, ".mcp-auth", "mcp-remote-v1")
			before := snapshotDir(t, dir)
			e, _ := planAndRun(t, env, srv, tc.forget, nil)
			if e == nil || e.Steps[0].Status != journal.StatusApplied {
				t.Fatalf("entry %+v", e)
			}
			gone := map[string]bool{}
			for _, k := range tc.gone {
				gone[mine[k]] = true
			}
			after := snapshotDir(t, dir)
			for name := range before {
				if _, ok := after[name]; ok == gone[name] {
					t.Errorf("%s present=%v after the reset", name, ok)
				}
			}
			for _, name := range others {
				if after[name] != before[name] {
					t.Errorf("the other server's %s changed", name)
				}
			}
			if _, err := journal.Open(env, nil).Undo(context.Background(), e.ID); err != nil {
				t.Fatal(err)
			}
			if got := snapshotDir(t, dir); !maps.Equal(got, before) {
				t.Errorf("after undo %v, want %v", got, before)
			}
			if fi, _ := os.Stat(filepath.Join(dir, mine[mcpremote.KindClient])); runtime.GOOS != "windows" && fi.Mode().Perm() != 0o644 {
				t.Errorf("restored mode %v", fi.Mode().Perm())
			}
		})
	}
}

func snapshotDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range ents {
		out[e.Name()] = readString(t, filepath.Join(dir, e.Name()))
	}
	return out
}

// TestFileDeleteHalfDoneIsRolledBack: when only some files were deleted (a
// crash between two deletes), Verify says so and Restore puts the deleted
// ones back; a file rewritten since makes undo refuse and change nothing.
func TestFileDeleteHalfDoneIsRolledBack(t *testing.T) {
	home := t.TempDir()
	a, b := filepath.Join(home, "a"), filepath.Join(home, "b")
	testfs.WriteFile(t, a, "A")
	testfs.WriteFile(t, b, "B")
	m, err := mutation.PlanFileDelete(store.MCPRemote, []mutation.FileTarget{{Path: a}, {Path: b}, {Path: filepath.Join(home, "missing")}})
	if err != nil || len(m.Targets) != 2 {
		t.Fatalf("plan %+v %v", m, err)
	}
	dir := t.TempDir()
	ctx := context.Background()
	if err := m.Backup(ctx, dir); err != nil {
		t.Fatal(err)
	}
	os.Remove(a)
	if _, err := m.Verify(ctx, dir); err == nil || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("half-done verify: %v", err)
	}
	if err := m.Restore(ctx, dir); err != nil || readString(t, a) != "A" {
		t.Fatalf("restore: %v", err)
	}
	if err := m.Apply(ctx, dir); err != nil {
		t.Fatal(err)
	}
	if ok, err := m.Verify(ctx, dir); !ok || err != nil {
		t.Fatalf("verify after apply: %v %v", ok, err)
	}
	testfs.WriteFile(t, b, "B2") // the owner signed in again
	var ce *journal.ConflictError
	if err := m.Restore(ctx, dir); !errors.As(err, &ce) {
		t.Fatalf("restore over a newer file: %v", err)
	}
	if _, err := os.Stat(a); !errors.Is(err, os.ErrNotExist) || readString(t, b) != "B2" {
		t.Fatal("a refused restore changed something")
	}
	// Apply refuses, deleting nothing, when a file changed since planning.
	testfs.WriteFile(t, a, "A")
	m2, _ := mutation.PlanFileDelete(store.MCPRemote, []mutation.FileTarget{{Path: a}, {Path: b}})
	dir2 := t.TempDir()
	m2.Backup(ctx, dir2)
	testfs.WriteFile(t, b, "B3")
	var chg *lockedfile.ChangedError
	if err := m2.Apply(ctx, dir2); !errors.As(err, &chg) || readString(t, a) != "A" {
		t.Fatalf("apply over a changed file: %v", err)
	}
}
