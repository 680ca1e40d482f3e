package mcplogs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mcpmend/mcpmend/cache/journal"
	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/internal/nodejson"
	"github.com/mcpmend/mcpmend/registry"
)

// Record kinds of the MCP log store.
const (
	KindLogLine = "log"         // one line of a server's MCP log
	KindLogSkip = "log-skipped" // a line saying the session skipped the server because of a gate
)

// Lines is how many of the newest lines the log store reports.
const Lines = 8

// mcpLogTail bounds how much of a log file is read: the newest lines are at
// its end and a long session's log can be large.
const mcpLogTail = 64 << 10

// Store reads Claude Code's per-server MCP logs as evidence of what
// its sessions did: ${XDG_CACHE_HOME:-~/.cache}/claude-cli-nodejs/<cwd with
// every non-alphanumeric → ->/mcp-logs-<name>/<start time>.jsonl
// (~/Library/Caches/claude-cli-nodejs on macOS,
// %LOCALAPPDATA%\claude-cli-nodejs\Cache on Windows). It never changes them.
type Store struct{}

// Name implements store.Store.
func (Store) Name() string { return store.MCPLogs }

// Root is the directory holding one folder per working directory.
func Root(env registry.Env) string {
	root := filepath.Join(env.CacheHome(), "claude-cli-nodejs")
	if env.GOOS == "windows" {
		root = filepath.Join(root, "Cache")
	}
	return root
}

var nonAlnum = regexp.MustCompile(`[^a-zA-Z0-9]`)

// sanitizePath is Claude Code's folder name for a path or server name. Past
// 200 characters it appends a hash of the whole, which is matched by prefix.
func sanitizePath(p string) (name string, truncated bool) {
	s := nonAlnum.ReplaceAllString(p, "-")
	if len(s) <= 200 {
		return s, false
	}
	return s[:200] + "-", true
}

// Dirs lists srv's log folders: those of its project and of the
// current directory (the sessions that matter most), then all others.
func Dirs(env registry.Env, srv registry.Server) (preferred, others []string, err error) {
	root := Root(env)
	ents, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", root, err)
	}
	logName, _ := sanitizePath(srv.Name)
	logName = "mcp-logs-" + logName
	for _, e := range ents {
		dir := filepath.Join(root, e.Name(), logName)
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			continue
		}
		if isCwdFolder(e.Name(), srv.Project) || isCwdFolder(e.Name(), env.CWD) {
			preferred = append(preferred, dir)
		} else {
			others = append(others, dir)
		}
	}
	return preferred, others, nil
}

// isCwdFolder reports whether folder is Claude Code's folder for dir.
func isCwdFolder(folder, dir string) bool {
	if dir == "" {
		return false
	}
	n, truncated := sanitizePath(dir)
	if truncated {
		return strings.HasPrefix(folder, n)
	}
	return folder == n
}

// newestLog returns the newest .jsonl file in dirs. Claude Code names each
// file after its session's start time (2026-11-26T16-34-26-378Z.jsonl), so
// names order them even where copies have lost their modification times.
func newestLog(dirs []string) string {
	best := ""
	for _, d := range dirs {
		ents, _ := os.ReadDir(d)
		for _, e := range ents {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".jsonl") {
				continue
			}
			if best == "" || e.Name() > filepath.Base(best) {
				best = filepath.Join(d, e.Name())
			}
		}
	}
	return best
}

// Inspect implements store.Store: the newest lines of srv's newest MCP log,
// redacted; a log of the server's project or of the current directory is
// preferred to one written elsewhere.
func (Store) Inspect(_ context.Context, env registry.Env, srv registry.Server, _ time.Time) ([]store.Record, error) {
	if srv.Client != registry.ClaudeCode {
		return nil, nil
	}
	preferred, others, err := Dirs(env, srv)
	if err != nil {
		return nil, err
	}
	path := newestLog(preferred)
	if path == "" {
		path = newestLog(others)
	}
	if path == "" {
		return nil, nil
	}
	lines, err := tailLines(path, Lines)
	if err != nil {
		return nil, err
	}
	secrets := srv.Raw.Secrets()
	var recs []store.Record
	for _, l := range lines {
		if r, ok := logRecord(path, l, secrets); ok {
			recs = append(recs, r)
		}
	}
	return recs, nil
}

// tailLines returns up to n complete lines from the end of path.
func tailLines(path string, n int) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	off := max(st.Size()-mcpLogTail, 0)
	buf := make([]byte, st.Size()-off)
	if _, err := f.ReadAt(buf, off); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	text := string(buf)
	if off > 0 {
		if i := strings.IndexByte(text, '\n'); i >= 0 {
			text = text[i+1:] // the first line is cut
		}
	}
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines, nil
}

// logRecord turns one JSON line ({"debug"|"error"|…: msg, "timestamp": …}) into a record.
func logRecord(path, line string, secrets []registry.Secret) (store.Record, bool) {
	var m map[string]any
	if strings.TrimSpace(line) == "" || json.Unmarshal([]byte(line), &m) != nil {
		return store.Record{}, false
	}
	level, msg := "", ""
	for _, k := range []string{"error", "warn", "info", "debug"} {
		if v, ok := m[k]; ok {
			level = k
			if s, ok := v.(string); ok {
				msg = s
			} else {
				b, _ := json.Marshal(v)
				msg = string(b)
			}
			break
		}
	}
	if level == "" {
		return store.Record{}, false
	}
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i] // a stack trace's first line says what failed
	}
	msg = registry.RedactText(registry.Scrub(msg, secrets...))
	if len(msg) > 300 {
		cut := 300
		for cut > 0 && !utf8.RuneStart(msg[cut]) {
			cut-- // never split a character
		}
		msg = msg[:cut] + "…"
	}
	r := store.Record{Store: store.MCPLogs, File: path, Key: filepath.Base(path), Kind: KindLogLine, Detail: "[" + level + "] " + msg}
	if ts, ok := m["timestamp"].(string); ok {
		if t, err := time.Parse(time.RFC3339Nano, ts); err == nil {
			r.Since = nodejson.PtrTime(t)
		}
	}
	if strings.Contains(msg, "Skipping connection") {
		r.Kind = KindLogSkip
	}
	return r, true
}

// PlanReset implements store.Store: a reset never removes log lines (they
// are the client's record of what happened, and no gate reads them).
func (Store) PlanReset(context.Context, registry.Env, store.ResetRequest) ([]journal.Mutation, error) {
	return nil, nil
}
