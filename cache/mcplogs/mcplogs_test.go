package mcplogs

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcpmend/mcpmend/cache/internal/storetest"
	"github.com/mcpmend/mcpmend/internal/testfs"
)

func TestMCPLogsRoot(t *testing.T) {
	home := "/h"
	for _, tt := range []struct {
		goos string
		vars []string
		want string
	}{
		{"linux", nil, "/h/.cache/claude-cli-nodejs"},
		{"linux", []string{"XDG_CACHE_HOME", "/x"}, "/x/claude-cli-nodejs"},
		{"darwin", nil, "/h/Library/Caches/claude-cli-nodejs"},
		{"windows", []string{"LOCALAPPDATA", "/h/AppData/Local"}, "/h/AppData/Local/claude-cli-nodejs/Cache"},
	} {
		env := storetest.Env(home, tt.vars...)
		env.GOOS = tt.goos
		if got := filepath.ToSlash(Root(env)); got != tt.want {
			t.Errorf("%s %v: %s, want %s", tt.goos, tt.vars, got, tt.want)
		}
	}
}

func logLine(level, msg string, at time.Time) string {
	return fmt.Sprintf(`{%q:%q,"timestamp":%q,"sessionId":"s","cwd":"/p"}`, level, msg, at.UTC().Format("2006-01-02T15:04:05.000Z"))
}

func TestMCPLogsInspect(t *testing.T) {
	home := t.TempDir()
	proj := filepath.Join(home, "my proj")
	env := storetest.Env(home)
	env.CWD = proj
	srv := storetest.ClaudeServer(t, "my_srv", `{"type":"http","url":"http://127.0.0.1:1/mcp","headers":{"Authorization":"Bearer CANARY-log-secret"}}`)
	root := filepath.Join(home, ".cache", "claude-cli-nodejs")
	projDir := filepath.Join(root, strings.NewReplacer("/", "-", " ", "-", "_", "-", ".", "-").Replace(proj), "mcp-logs-my-srv")
	otherDir := filepath.Join(root, "-elsewhere", "mcp-logs-my-srv")

	var b strings.Builder
	for i := 0; i < 20; i++ {
		b.WriteString(logLine("debug", fmt.Sprintf("old line %d", i), storetest.Now.Add(-time.Hour)) + "\n")
	}
	b.WriteString(logLine("debug", `HTTP transport options: {"headers":{"Authorization":"Bearer CANARY-log-secret"}}`, storetest.Now) + "\n")
	b.WriteString(logLine("error", "Error: boom\n    at stack (x.js:1)", storetest.Now) + "\n")
	b.WriteString(logLine("debug", "Skipping connection (cached needs-auth)", storetest.Now.Add(time.Second)) + "\n")
	b.WriteString("not json\n")
	testfs.WriteFile(t, filepath.Join(projDir, "2026-11-26T11-00-00-000Z.jsonl"), b.String())
	testfs.WriteFile(t, filepath.Join(projDir, "2026-11-26T10-00-00-000Z.jsonl"), logLine("debug", "an older session", storetest.Now)+"\n")
	// A newer log from another directory loses to the project's own.
	testfs.WriteFile(t, filepath.Join(otherDir, "2026-11-26T12-00-00-000Z.jsonl"), logLine("debug", "elsewhere", storetest.Now)+"\n")

	recs, err := Store{}.Inspect(context.Background(), env, srv, storetest.Now)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != Lines-1 { // the last of the 8 lines is not JSON
		t.Fatalf("got %d records: %+v", len(recs), recs)
	}
	last := recs[len(recs)-1]
	if last.Kind != KindLogSkip || !strings.Contains(last.Detail, "cached needs-auth") || last.Since == nil || !last.Since.Equal(storetest.Now.Add(time.Second)) {
		t.Errorf("last record = %+v", last)
	}
	for _, r := range recs {
		if strings.Contains(r.Detail, "CANARY") || strings.Contains(r.Detail, "at stack") {
			t.Errorf("record not redacted or not cut to its first line: %+v", r)
		}
		if !strings.HasPrefix(r.File, projDir) || r.Active || r.Resettable {
			t.Errorf("record %+v: want the project's log, inactive, not resettable", r)
		}
	}

	// From another directory, the newest log anywhere is used.
	env.CWD = filepath.Join(home, "third")
	recs, err = Store{}.Inspect(context.Background(), env, srv, storetest.Now)
	if err != nil || len(recs) != 1 || !strings.Contains(recs[0].Detail, "elsewhere") {
		t.Errorf("from another cwd: %+v %v", recs, err)
	}
}

func TestSanitizePathLong(t *testing.T) {
	long := "/" + strings.Repeat("a", 250)
	n, truncated := sanitizePath(long)
	if !truncated || len(n) != 201 || !isCwdFolder(n+"abc123", long) || isCwdFolder("-aaa", long) {
		t.Errorf("sanitizePath(long) = %q, %v", n, truncated)
	}
}
