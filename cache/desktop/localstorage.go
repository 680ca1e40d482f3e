package desktop

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/internal/localstorage"
	"github.com/mcpmend/mcpmend/registry"
	"github.com/tidwall/gjson"
)

// Record kinds of the Desktop store.
const (
	KindItem    = "local-storage-item"    // the key names the server: a reset may delete it
	KindMention = "local-storage-mention" // only mentions it: reported, never deleted
	// KindLeftoverCopy is a temporary copy of the database, tokens included,
	// that mcpmend made to read it and could not remove.
	KindLeftoverCopy = "leftover-temp-copy"
)

// Store is Claude Desktop's Electron Local Storage
// (<userData>/Local Storage/leveldb) as a Store. Desktop's remote connectors
// are not in its config file, so besides Inspect (for configured
// claude-desktop servers) it answers for any name through InspectName.
type Store struct {
	// Dirs, when set, are read instead of the directories located from env.
	Dirs []string
	// Others, when set, are the server names known on this machine, used to
	// tell "github-mcp" (a server) from github with an affix; nil means
	// every name registry.Discover finds in env.
	Others []string
}

// Name implements store.Store.
func (Store) Name() string { return store.Desktop }

// Inspect implements store.Store: for a claude-desktop server — and for a
// Claude Code one, which Desktop's Code chat uses under the same name — the
// Local Storage items that name or mention it; nothing for other clients'
// servers.
func (s Store) Inspect(ctx context.Context, env registry.Env, srv registry.Server, now time.Time) ([]store.Record, error) {
	if !Remembers(srv) {
		return nil, nil
	}
	return s.InspectName(ctx, env, srv.Name)
}

// Remembers reports whether Claude Desktop's Local Storage may hold
// items for srv's name: its own servers and connectors, and Claude Code's,
// since Desktop's Code chat runs Claude Code on the same ~/.claude.json and
// keeps its own memory of those servers by name.
func Remembers(srv registry.Server) bool {
	return srv.Client == registry.ClaudeDesktop || srv.Client == registry.ClaudeCode
}

// InspectDesktop returns what Claude Desktop's Local Storage holds about the
// server called name — whether or not any config file defines it, since
// Desktop keeps its remote connectors elsewhere. Items whose key names the
// server are Resettable records of kind KindLocalStorageItem; items that
// only mention it are KindLocalStorageMention with Resettable false. It is
// the call for the server_state tool. No Desktop profile gives no records
// and no error; a damaged database gives a *DamagedError (with the records of
// any other, readable profile).
func InspectDesktop(ctx context.Context, env registry.Env, name string) ([]store.Record, error) {
	return Store{}.InspectName(ctx, env, name)
}

// InspectName is InspectDesktop with this store's settings.
func (s Store) InspectName(ctx context.Context, env registry.Env, name string) ([]store.Record, error) {
	scans, err := s.ScanName(ctx, env, name)
	var out []store.Record
	for _, sc := range scans {
		for _, m := range sc.Matches {
			out = append(out, matchRecord(sc, m))
		}
		for _, l := range sc.Leftovers {
			out = append(out, leftoverRecord(l))
		}
	}
	return out, err
}

// leftoverRecord reports a temporary copy that could not be removed: it
// holds Claude Desktop's tokens, so the user should know where it is.
func leftoverRecord(l localstorage.Leftover) store.Record {
	return store.Record{Store: store.Desktop, File: l.Path, Key: filepath.Base(l.Path), Kind: KindLeftoverCopy,
		Detail: "a temporary copy of Claude Desktop's Local Storage (its tokens included) that mcpmend made to read it " +
			"could not be removed: delete this directory; the next run also retries it after 10 minutes — " + l.Error}
}

// ScanName reads every located Local Storage directory for name and returns
// the full scans (lock state, origins, raw rows of the matches), for callers
// such as a reset that need more than records. Directories in a foreign
// format are skipped with a log line; the first damaged one's error is
// returned after the others are read.
func (s Store) ScanName(ctx context.Context, env registry.Env, name string) ([]*localstorage.Scan, error) {
	if name == "" {
		return nil, errors.New("inspect Claude Desktop Local Storage: empty server name")
	}
	dirs := s.Dirs
	if dirs == nil {
		dirs = Dirs(env)
	}
	if len(dirs) == 0 {
		return nil, nil
	}
	others := s.Others
	if others == nil {
		for _, srv := range registry.Discover(env).Servers {
			others = append(others, srv.Name)
		}
	}
	m := NewNameMatcher(name, others)
	var scans []*localstorage.Scan
	var firstErr error
	for _, dir := range dirs {
		sc, err := Scan(ctx, dir, m)
		switch {
		case err == nil:
			scans = append(scans, sc)
		case errors.Is(err, fs.ErrNotExist):
		case errors.Is(err, localstorage.ErrForeignFormat):
			slog.Info("skipping a LevelDB directory in another format", "dir", dir, "err", err)
		case firstErr == nil:
			firstErr = err
		}
	}
	return scans, firstErr
}

// Dirs returns Claude Desktop's Local Storage directories
// that exist in env: <userData>/Local Storage/leveldb, where userData is
// AppData/Claude (~/Library/Application Support/Claude, %APPDATA%\Claude,
// ~/.config/Claude) and, on Windows, each Microsoft Store (MSIX) install's
// %LOCALAPPDATA%\Packages\Claude_*\LocalCache\Roaming\Claude. The package
// folder's publisher-hash suffix is matched, not hard-coded.
func Dirs(env registry.Env) []string {
	userData := []string{filepath.Join(env.AppData(), "Claude")}
	goos := env.GOOS
	if goos == "" {
		goos = localstorage.RuntimeGOOS
	}
	if goos == "windows" {
		pkgs := filepath.Join(env.LocalAppData(), "Packages")
		if entries, err := os.ReadDir(pkgs); err == nil {
			var msix []string
			for _, e := range entries {
				if e.IsDir() && strings.HasPrefix(e.Name(), "Claude_") {
					msix = append(msix, filepath.Join(pkgs, e.Name(), "LocalCache", "Roaming", "Claude"))
				}
			}
			sort.Strings(msix)
			userData = append(msix, userData...)
		}
	}
	var out []string
	for _, u := range userData {
		dir := filepath.Join(u, "Local Storage", "leveldb")
		if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
			out = append(out, dir)
		}
	}
	return out
}

// matchRecord turns a match into a printable record: origin and key (redacted)
// and a short redacted preview of the value — never the value itself.
func matchRecord(sc *localstorage.Scan, m localstorage.Hit) store.Record {
	it := m.Item
	r := store.Record{
		Store: store.Desktop,
		File:  sc.Dir,
		// Storage keys never contain a space, so the first space splits
		// origin from item key.
		Key:  it.Origin + " " + registry.RedactText(it.Key),
		Kind: KindMention,
	}
	var why string
	switch Match(m.Class) {
	case KeyNames:
		r.Kind, r.Resettable = KindItem, true
		// Desktop reads its items at start-up; one keyed by the server may
		// steer how it connects, so it counts as active.
		r.Active = true
		why = "key names the server"
	case KeyOtherCase:
		why = "key names it in another letter case (names are case-sensitive: not reset)"
	case ValueMention:
		why = "value mentions it beside other data (never reset)"
	}
	val := it.Value.Reveal()
	r.Detail = fmt.Sprintf("%s; %s value, %d chars: %s", why, it.ValueEncoding, utf8.RuneCountInString(val), Preview(it.Key, val))
	switch {
	case sc.Lock.Held && sc.Lock.PID > 0:
		r.Detail += fmt.Sprintf("; Claude Desktop has the database open (pid %d): read from a copy", sc.Lock.PID)
	case sc.Lock.Held:
		r.Detail += "; Claude Desktop has the database open: read from a copy"
	case sc.Lock.Unknown && runtime.GOOS == "windows":
		// Probing on Windows takes the lock for an instant: readers skip it.
		r.Detail += "; read from a copy (whether Claude Desktop has it open is not probed on Windows)"
	case sc.Lock.Unknown:
		r.Detail += "; lock not checkable here: read from a copy"
	}
	return r
}

// previewRunes bounds a value preview.
const previewRunes = 100

// Preview returns a short, redacted rendering of a Local Storage value for
// messages. It errs towards hiding: JSON keeps its shape with secret-named
// fields (every field, under a secret-named key) and token-like strings
// replaced; a plain value under a secret-named key, or any long value without
// spaces, is replaced entirely.
func Preview(key, value string) string {
	var s string
	switch {
	case value == "":
		return `""`
	case gjson.Valid(value) && (value[0] == '{' || value[0] == '['):
		s = redactJSON(gjson.Parse(value), registry.IsSecretName(key))
	case registry.IsSecretName(key):
		return registry.Redacted
	default:
		s = redactScalar(value)
	}
	if utf8.RuneCountInString(s) > previewRunes {
		s = string([]rune(s)[:previewRunes]) + "…"
	}
	return s
}

// redactScalar hides a free-text value that may be a credential: URLs lose
// their secrets, long unbroken strings (tokens, codes) go entirely.
func redactScalar(s string) string {
	switch {
	case strings.Contains(s, "://"):
		return registry.RedactURL(s)
	case !strings.ContainsAny(s, " \t\n") && utf8.RuneCountInString(s) > 12:
		return registry.Redacted
	}
	return registry.RedactText(s)
}

// redactJSON re-renders v compactly, in its own key order, with the values of
// secret-named fields (and of everything under them) replaced.
func redactJSON(v gjson.Result, secret bool) string {
	switch {
	case v.IsObject():
		var b strings.Builder
		b.WriteByte('{')
		first := true
		v.ForEach(func(k, val gjson.Result) bool {
			if !first {
				b.WriteByte(',')
			}
			first = false
			b.WriteString(quoteJSON(registry.RedactText(k.String())))
			b.WriteByte(':')
			b.WriteString(redactJSON(val, secret || registry.IsSecretName(k.String())))
			return true
		})
		b.WriteByte('}')
		return b.String()
	case v.IsArray():
		var parts []string
		v.ForEach(func(_, val gjson.Result) bool {
			parts = append(parts, redactJSON(val, secret))
			return true
		})
		return "[" + strings.Join(parts, ",") + "]"
	case secret && v.Type != gjson.Null:
		return quoteJSON(registry.Redacted)
	case v.Type == gjson.String:
		return quoteJSON(redactScalar(v.String()))
	}
	return v.Raw
}

func quoteJSON(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}

// Scan reads the Local Storage database in dir with
// localstorage.ScanDir, keeping the items m matches (m may be nil to only
// read and validate). Damage comes back as this store's *DamagedError.
func Scan(ctx context.Context, dir string, m *NameMatcher) (*localstorage.Scan, error) {
	sc, err := localstorage.ScanDir(ctx, dir, m.Classify())
	return sc, storeDamage(err)
}
