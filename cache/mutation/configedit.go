package mutation

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"github.com/mcpmend/mcpmend/internal/jsonedit"
	"github.com/mcpmend/mcpmend/internal/lockedfile"
	"github.com/mcpmend/mcpmend/registry"
)

// Edit is one change to a config file.
type Edit struct {
	// Path is the object keys from the top, e.g. {"mcpServers", "github"} or
	// {"projects", "/home/u/proj", "mcpServers", "x"}. Keys are literal.
	Path []string
	// Value is the new JSON value; nil deletes the key.
	Value json.RawMessage
}

// EditResult says what an edit did.
type EditResult struct {
	File    string `json:"file"`
	Changed bool   `json:"changed"`
	Backup  string `json:"backup,omitempty"` // the previous content, saved before the write
}

// Editor is the one code path that writes a client's config file. It takes
// the owner's lock where the owner has one (Claude Code's
// `~/.claude.json.lock`, proper-lockfile, stale after 10 s), re-reads the
// file under it, changes only the touched bytes (sjson, every key escaped),
// keeps Node's 2-space layout for files Node wrote, saves the old content
// under the state directory, and renames a fsynced temp file into place —
// refusing if the file changed between the re-read and the rename.
type Editor struct {
	Env registry.Env
	// LockWait bounds the wait for a held lock; 0 means its stale time.
	LockWait time.Duration
	// KeepBackups is how many backups to keep per file (default 10).
	KeepBackups int
}

// EditConfig applies edits to file with a default Editor.
func EditConfig(ctx context.Context, env registry.Env, file string, edits []Edit) (*EditResult, error) {
	return (&Editor{Env: env}).Edit(ctx, file, edits)
}

// ownerLock is the lock the file's owner takes before writing it, if any.
// Only ~/.claude.json has one: Claude Code writes .mcp.json and settings
// files with a plain temp file + rename.
func (ed *Editor) ownerLock(file string) *lockedfile.DirLock {
	if filepath.Base(file) != ".claude.json" {
		return nil
	}
	return &lockedfile.DirLock{Path: file + ".lock", Stale: lockedfile.DefaultStale, Wait: ed.LockWait, Owner: "Claude Code"}
}

// styleOf picks the layout: ~/.claude.json is always Node's; other files keep
// Node's layout only if they are in it already (hand-written ones are never
// re-indented).
func styleOf(file string) jsonedit.Style {
	if filepath.Base(file) == ".claude.json" {
		return jsonedit.Node
	}
	return jsonedit.Auto
}

// Edit applies edits to file in one atomic replace. Bad input — a missing or
// malformed file, a value that is not JSON, a path through a non-object —
// changes nothing and says which file and key.
func (ed *Editor) Edit(ctx context.Context, file string, edits []Edit) (*EditResult, error) {
	for _, e := range edits {
		if e.Value != nil && !json.Valid(e.Value) {
			return nil, fmt.Errorf("edit %s at %s: the new value is not valid JSON", file, jsonedit.Path(e.Path))
		}
	}
	var check func() error
	if l := ed.ownerLock(file); l != nil {
		h, err := l.Acquire(ctx)
		if err != nil {
			return nil, fmt.Errorf("edit %s: %w", file, err)
		}
		defer h.Release()
		check = h.Check
	}
	snap, err := lockedfile.Read(file)
	if err != nil {
		return nil, err
	}
	if !snap.Exists {
		return nil, fmt.Errorf("edit %s: the file does not exist", file)
	}
	out, err := applyEdits(file, snap.Data, edits)
	if err != nil || bytes.Equal(out, snap.Data) {
		return &EditResult{File: file}, err
	}
	backup, err := ed.backup(file, snap.Data)
	if err != nil {
		return nil, err
	}
	// Claude Code writes ~/.claude.json through a symlink (the link stays,
	// its target is replaced); so does every editor that rewrites a config.
	opt := lockedfile.WriteOptions{Expect: &snap, BeforeRename: check, KeepOwner: true, Links: lockedfile.FollowSymlinks}
	if err := lockedfile.WriteFile(file, out, opt); err != nil {
		return nil, err
	}
	return &EditResult{File: file, Changed: true, Backup: backup}, nil
}

var utf8BOM = []byte("\xef\xbb\xbf")

// applyEdits edits doc (a strict JSON object, optionally after a BOM).
func applyEdits(file string, doc []byte, edits []Edit) ([]byte, error) {
	bom := bytes.HasPrefix(doc, utf8BOM)
	body := bytes.TrimPrefix(doc, utf8BOM)
	if !gjson.ValidBytes(body) || !gjson.ParseBytes(body).IsObject() {
		line, col, msg := registry.SyntaxPosition(body)
		return nil, fmt.Errorf("edit %s: not a strict JSON object (line %d, column %d: %s); nothing was changed", file, line, col, msg)
	}
	cur := body
	var err error
	for _, e := range edits {
		if e.Value == nil {
			cur, err = jsonedit.Delete(cur, e.Path)
		} else {
			cur, err = jsonedit.SetRaw(cur, e.Path, e.Value)
		}
		if err != nil {
			return nil, fmt.Errorf("edit %s: %w", file, err)
		}
	}
	if bytes.Equal(cur, body) {
		return doc, nil
	}
	out := jsonedit.Format(body, cur, styleOf(file))
	if bom {
		out = append(append([]byte{}, utf8BOM...), out...)
	}
	return out, nil
}

// backup saves the previous content as
// <state>/config-backups/<name>-<hash of path>.<unix ms> (0600), keeping the
// newest KeepBackups per file.
func (ed *Editor) backup(file string, data []byte) (string, error) {
	dir := filepath.Join(ed.Env.StateHome(), "config-backups")
	if err := lockedfile.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("back up %s: %w", file, err)
	}
	abs, _ := filepath.Abs(file)
	sum := sha256.Sum256([]byte(abs))
	prefix := strings.TrimPrefix(filepath.Base(file), ".") + "-" + hex.EncodeToString(sum[:4]) + "."
	name := filepath.Join(dir, prefix+strconv.FormatInt(time.Now().UnixMilli(), 10))
	if err := lockedfile.WriteFile(name, data, lockedfile.WriteOptions{Perm: 0o600, KeepOwner: true}); err != nil {
		return "", fmt.Errorf("back up %s: %w", file, err)
	}
	keep := ed.KeepBackups
	if keep <= 0 {
		keep = 10
	}
	matches, _ := filepath.Glob(filepath.Join(dir, prefix+"*"))
	var old []string
	for _, m := range matches {
		if backupStamp(m) > 0 { // skip another writer's temp file
			old = append(old, m)
		}
	}
	sort.Slice(old, func(i, j int) bool { return backupStamp(old[i]) > backupStamp(old[j]) })
	for _, p := range old[min(keep, len(old)):] {
		lockedfile.Remove(p)
	}
	return name, nil
}

// PruneConfigBackups removes the backups Edit saved (whole copies of
// config files, other servers' secrets included) that are older than keep,
// and returns them; keep <= 0 keeps them all. With dryRun it only lists.
func PruneConfigBackups(env registry.Env, keep time.Duration, now time.Time, dryRun bool) []string {
	if keep <= 0 {
		return nil
	}
	dir := filepath.Join(env.StateHome(), "config-backups")
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, d := range des {
		ms := backupStamp(d.Name())
		if ms <= 0 || !d.Type().IsRegular() || now.Sub(time.UnixMilli(ms)) < keep {
			continue
		}
		p := filepath.Join(dir, d.Name())
		if dryRun || lockedfile.Remove(p) == nil {
			out = append(out, p)
		}
	}
	return out
}

// backupStamp is a backup's unix-ms suffix, 0 for any other name.
func backupStamp(p string) int64 {
	n, err := strconv.ParseInt(strings.TrimPrefix(filepath.Ext(p), "."), 10, 64)
	if err != nil {
		return 0
	}
	return n
}
