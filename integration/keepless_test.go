package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mcpmend/mcpmend/cache/credentials"
	"github.com/mcpmend/mcpmend/registry"
)

// runCLIWith is runCLI with extra environment variables (TMPDIR, the
// retention variables).
func runCLIWith(t *testing.T, home string, extra []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append(homeEnv(home), extra...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running mcpmend %v: %v", args, err)
	}
	return out.String(), errb.String(), code
}

// journalText is every file of the journal, concatenated.
func journalText(t *testing.T, home string) string {
	t.Helper()
	var b strings.Builder
	filepath.Walk(filepath.Join(home, ".local", "state", "mcpmend", "journal"), func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			data, _ := os.ReadFile(p)
			b.Write(data)
			b.WriteByte('\n')
		}
		return nil
	})
	return b.String()
}

// shiftEntry moves every time in a journal entry back by d, as if the
// reset had been made d earlier.
func shiftEntry(t *testing.T, home, id string, d time.Duration) {
	t.Helper()
	p := filepath.Join(home, ".local", "state", "mcpmend", "journal", id, "entry.json")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var e map[string]any
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	shift := func(m map[string]any, keys ...string) {
		for _, k := range keys {
			if s, ok := m[k].(string); ok {
				if tm, err := time.Parse(time.RFC3339Nano, s); err == nil {
					m[k] = tm.Add(-d).Format(time.RFC3339Nano)
				}
			}
		}
	}
	shift(e, "created", "updated", "backups_dropped")
	for _, s := range e["steps"].([]any) {
		shift(s.(map[string]any), "updated", "applied_at", "undone_at", "wait_until")
	}
	b, _ = json.MarshalIndent(e, "", "  ")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestKeepLessWithTheBuiltBinary walks what a reset keeps through the built
// binary: a --forget-tokens reset's backup holds the server's own tokens
// and neither the Claude account's token nor another server's; a read-only
// command removes nothing; a write command clears what a killed run left
// (only a dead process's); once the forget-tokens window passes prune
// deletes the token backups and undo refuses; once the retention passes
// prune removes the reset; status shows each deadline.
func TestKeepLessWithTheBuiltBinary(t *testing.T) {
	home, tmp := t.TempDir(), t.TempDir()
	extra := []string{"TMPDIR=" + tmp, "TMP=" + tmp, "TEMP=" + tmp} // os.TempDir on Unix and Windows
	cfg := `{"mcpServers":{"srv":{"type":"http","url":"http://127.0.0.1:9/mcp"}}}`
	if err := os.WriteFile(filepath.Join(home, ".claude.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	env := isolatedEnv(home)
	var key string
	for _, s := range registry.Discover(env).Servers {
		if s.Name == "srv" {
			key = credentials.Key(s)
		}
	}
	if key == "" {
		t.Fatal("srv not discovered")
	}
	creds := credentials.File(env)
	os.MkdirAll(filepath.Dir(creds), 0o700)
	data := `{"claudeAiOauth":{"accessToken":"CANARY-account","refreshToken":"CANARY-account-r"},"mcpOAuth":{"` + key +
		`":{"serverName":"srv","serverUrl":"http://127.0.0.1:9/mcp","accessToken":"CANARY-srv-tok","refreshToken":"CANARY-srv-ref","expiresAt":1,"discoveryState":{"oauthMetadataFound":true}},` +
		`"other|0123456789abcdef":{"serverName":"other","accessToken":"CANARY-other"}}}`
	if err := os.WriteFile(creds, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(needsAuthPath(home), []byte(fmt.Sprintf(`{"srv":{"timestamp":%d}}`, time.Now().UnixMilli())), 0o600)

	// What killed runs left: a temp file of a dead mcpmend beside the
	// credentials and a Local Storage copy of it; the same of a live process.
	exited := exec.Command(binary, "version")
	if err := exited.Run(); err != nil {
		t.Fatal(err)
	}
	dead, live := exited.Process.Pid, os.Getpid()
	old := time.Now().Add(-time.Hour)
	plant := func(p string, dir bool) string {
		if dir {
			os.MkdirAll(p, 0o700)
			os.WriteFile(filepath.Join(p, "000005.ldb"), []byte("CANARY-desktop"), 0o600)
		} else {
			os.WriteFile(p, []byte(data), 0o600)
		}
		os.Chtimes(p, old, old)
		return p
	}
	deadTemp := plant(creds+".tmp."+strconv.Itoa(dead)+".0123456789ab", false)
	liveTemp := plant(creds+".tmp."+strconv.Itoa(live)+".0123456789ab", false)
	deadCopy := plant(filepath.Join(tmp, "mcpmend-localstorage-"+strconv.Itoa(dead)+"-1"), true)
	liveCopy := plant(filepath.Join(tmp, "mcpmend-localstorage-"+strconv.Itoa(live)+"-1"), true)
	exists := func(p string) bool { _, err := os.Stat(p); return err == nil }

	if _, errOut, code := runCLIWith(t, home, extra, "status"); code != 0 || !exists(deadTemp) || !exists(deadCopy) {
		t.Fatalf("read-only status: code %d, dead temp kept %v, dead copy kept %v\n%s", code, exists(deadTemp), exists(deadCopy), errOut)
	}

	out, errOut, code := runCLIWith(t, home, extra, "reset", "srv", "--client", "claude-code", "--forget-tokens", "--json")
	if code != 0 {
		t.Fatalf("reset: %d\n%s\n%s", code, out, errOut)
	}
	if strings.Contains(out+errOut, "CANARY") {
		t.Fatalf("a secret reached the reset's output:\n%s\n%s", out, errOut)
	}
	var rs struct {
		ID, Outcome string
		Notes       []string
	}
	json.Unmarshal([]byte(out), &rs)
	if rs.Outcome != "applied" || !strings.Contains(strings.Join(rs.Notes, "\n"), "MCPMEND_FORGET_TOKENS_WINDOW") {
		t.Fatalf("reset answer: %s", out)
	}
	if exists(deadTemp) || exists(deadCopy) || !exists(liveTemp) || !exists(liveCopy) {
		t.Errorf("after a write command: dead temp %v, dead copy %v (want gone); live temp %v, live copy %v (want kept)",
			exists(deadTemp), exists(deadCopy), exists(liveTemp), exists(liveCopy))
	}
	j := journalText(t, home)
	for _, never := range []string{"CANARY-account", "CANARY-other"} {
		if strings.Contains(j, never) {
			t.Errorf("the journal holds %s", never)
		}
	}
	if !strings.Contains(j, "CANARY-srv-tok") {
		t.Error("the journal lacks the forgotten tokens: the reset could not be undone")
	}

	out, _, _ = runCLIWith(t, home, extra, "status", "--json")
	var st struct {
		Retention struct{ Entries, Tokens string } `json:"retention"`
		Resets    []struct {
			Expires           *time.Time `json:"expires"`
			TokenBackupsUntil *time.Time `json:"token_backups_until"`
		}
	}
	json.Unmarshal([]byte(out), &st)
	if len(st.Resets) != 1 || st.Resets[0].Expires == nil || st.Resets[0].TokenBackupsUntil == nil || st.Retention.Entries != "30d" {
		t.Fatalf("status does not show the deadlines:\n%s", out)
	}
	if d := time.Until(*st.Resets[0].TokenBackupsUntil); d < 6*24*time.Hour || d > 7*24*time.Hour {
		t.Errorf("token backups kept for %v, want 7 days", d)
	}

	// Eight days on: status (read-only) keeps the tokens; prune deletes them.
	shiftEntry(t, home, rs.ID, 8*24*time.Hour)
	runCLIWith(t, home, extra, "status")
	if !strings.Contains(journalText(t, home), "CANARY-srv-tok") {
		t.Fatal("a read-only command dropped the token backups")
	}
	out, _, _ = runCLIWith(t, home, extra, "prune", "--dry-run")
	if !strings.Contains(out, "would delete the token backups of "+rs.ID) || !strings.Contains(journalText(t, home), "CANARY-srv-tok") {
		t.Fatalf("prune --dry-run:\n%s", out)
	}
	out, errOut, code = runCLIWith(t, home, extra, "prune")
	if code != 0 || strings.Contains(journalText(t, home), "CANARY") {
		t.Fatalf("prune after the window: %d\n%s\n%s", code, out, errOut)
	}
	out, _, _ = runCLIWith(t, home, extra, "status")
	if !strings.Contains(out, "cannot be undone") {
		t.Errorf("status does not say the reset can no longer be undone:\n%s", out)
	}
	before, _ := os.ReadFile(creds)
	out, errOut, code = runCLIWith(t, home, extra, "undo", rs.ID)
	if after, _ := os.ReadFile(creds); code != 1 || !strings.Contains(out+errOut, "forget_tokens") || !bytes.Equal(before, after) {
		t.Fatalf("undo after the window: %d\n%s\n%s", code, out, errOut)
	}

	// Forty days on: the reset itself goes.
	shiftEntry(t, home, rs.ID, 40*24*time.Hour)
	out, errOut, code = runCLIWith(t, home, extra, "prune")
	if code != 0 || !strings.Contains(out, "removed "+rs.ID) {
		t.Fatalf("prune after the retention: %d\n%s\n%s", code, out, errOut)
	}
	if out, _, _ = runCLIWith(t, home, extra, "status"); !strings.Contains(out, "No resets recorded") {
		t.Fatalf("status after prune:\n%s", out)
	}
}
