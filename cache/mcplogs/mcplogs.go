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
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mcpmend/mcpmend/internal/lazyre"

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
type Store struct {
	// memo, set by ForInspection, keeps the listing of every log folder
	// and the tails read for one pass.
	memo *store.Memo
}

// ForInspection is the store for one inspection pass over several servers:
// the log folders are listed once and indexed by server folder name.
func ForInspection() Store { return Store{memo: store.NewMemo()} }

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

var nonAlnum = lazyre.New(`[^a-zA-Z0-9]`)

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
	return Store{}.dirs(env, srv)
}

// logFolders is every cwd folder's mcp-logs-<name> folders, by that name,
// in the order of the cwd folders.
type logFolders struct {
	byName map[string][]logFolder
	err    error
}

type logFolder struct{ cwdFolder, dir string }

func (s Store) folders(root string) logFolders {
	return store.Once(s.memo, root, func() logFolders {
		ents, err := store.ReadDir(root)
		if errors.Is(err, fs.ErrNotExist) {
			return logFolders{}
		}
		if err != nil {
			return logFolders{err: fmt.Errorf("read %s: %w", root, err)}
		}
		lf := logFolders{byName: map[string][]logFolder{}}
		for _, e := range ents {
			cwd := filepath.Join(root, e.Name())
			subs, _ := store.ReadDir(cwd) // not a folder, or unreadable: no logs there
			for _, sub := range subs {
				if !strings.HasPrefix(sub.Name(), "mcp-logs-") {
					continue
				}
				dir := filepath.Join(cwd, sub.Name())
				if !sub.IsDir() {
					if st, err := os.Stat(dir); err != nil || !st.IsDir() { // a link to a folder counts
						continue
					}
				}
				lf.byName[sub.Name()] = append(lf.byName[sub.Name()], logFolder{cwdFolder: e.Name(), dir: dir})
			}
		}
		return lf
	})
}

func (s Store) dirs(env registry.Env, srv registry.Server) (preferred, others []string, err error) {
	lf := s.folders(Root(env))
	if lf.err != nil {
		return nil, nil, lf.err
	}
	logName, _ := sanitizePath(srv.Name)
	for _, f := range lf.byName["mcp-logs-"+logName] {
		if isCwdFolder(f.cwdFolder, srv.Project) || isCwdFolder(f.cwdFolder, env.CWD) {
			preferred = append(preferred, f.dir)
		} else {
			others = append(others, f.dir)
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
func (s Store) newestLog(dirs []string) string {
	best := ""
	for _, d := range dirs {
		ents := store.Once(s.memo, d, func() []fs.DirEntry {
			ents, _ := store.ReadDir(d)
			return ents
		})
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
func (s Store) Inspect(_ context.Context, env registry.Env, srv registry.Server, _ time.Time) ([]store.Record, error) {
	if srv.Client != registry.ClaudeCode {
		return nil, nil
	}
	preferred, others, err := s.dirs(env, srv)
	if err != nil {
		return nil, err
	}
	path := s.newestLog(preferred)
	if path == "" {
		path = s.newestLog(others)
	}
	if path == "" {
		return nil, nil
	}
	type tail struct {
		lines []string
		err   error
	}
	t := store.Once(s.memo, path, func() tail {
		lines, err := tailLines(path, Lines)
		return tail{lines, err}
	})
	if t.err != nil {
		return nil, t.err
	}
	secrets := srv.Raw.Secrets()
	var recs []store.Record
	for _, l := range t.lines {
		if r, ok := logRecord(path, l, secrets); ok {
			recs = append(recs, r)
		}
	}
	return recs, nil
}

// tailLines returns up to n complete lines from the end of path.
func tailLines(path string, n int) ([]string, error) {
	f, err := store.Open(path)
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
