package mcpremote

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/internal/nodejson"
	"github.com/mcpmend/mcpmend/registry"
)

// Record kinds of the mcp-remote store.
const (
	KindTokens = "mcp-remote-tokens" // <hash>_tokens.json
	KindClient = "mcp-remote-client" // <hash>_client_info.json: the dynamic registration
	KindFlow   = "mcp-remote-flow"   // code_verifier_*/discovery_state_*: a sign-in in progress
	KindLease  = "mcp-remote-lease"  // refresh_in_progress.json and other leases
	KindFile   = "mcp-remote-file"   // anything else filed under the hash
)

// Store is mcp-remote's token directory (~/.mcp-auth or
// $MCP_REMOTE_CONFIG_DIR): for a stdio server that runs mcp-remote, the files
// filed under the hash of its URL and options, in every layout mcp-remote
// has used (mcp-remote-<version>/ in 0.0.x/0.1.x, mcp-remote-v1/ since).
type Store struct {
	// memo, set by ForInspection, keeps the folders' listings and the
	// tokens files read for one pass.
	memo *store.Memo
}

// ForInspection is the store for one inspection pass over several servers:
// each folder is listed once and indexed by hash for all of them.
func ForInspection() Store { return Store{memo: store.NewMemo()} }

// Name implements store.Store.
func (Store) Name() string { return store.MCPRemote }

// Root is where mcp-remote keeps its per-version folders.
func Root(env registry.Env) string {
	if d, ok := store.LookupEnv(env, "MCP_REMOTE_CONFIG_DIR"); ok {
		return d
	}
	return env.Join(".mcp-auth")
}

// Config is what mcp-remote derives from its command line, as far
// as it decides where its files go.
type Config struct {
	ServerURL   string   // as given; redact before printing
	HeaderNames []string // sorted, as hashed
	Hash        string   // hex md5, the files' prefix
	LegacyHash  string   // md5 of the URL alone, used by releases before options were hashed
	Problem     string   // mcp-remote would refuse to start, or the hash may differ
}

// Args finds mcp-remote's own arguments in a stdio command line:
// `npx [-y] mcp-remote[@v] URL …`, `mcp-remote URL …`, `node …/mcp-remote/dist/proxy.js URL …`,
// also behind `cmd /c`. ok is false when the server does not run mcp-remote.
func Args(command string, args []string) (mrArgs []string, ok bool) {
	words := append([]string{command}, args...)
	for i, w := range words {
		if i > 0 && (words[i-1] == "-p" || words[i-1] == "--package") {
			continue // npx -p mcp-remote mcp-remote URL: the package, not the program
		}
		if isMCPRemote(w) {
			return words[i+1:], true
		}
	}
	return nil, false
}

func isMCPRemote(w string) bool {
	w = strings.ReplaceAll(w, `\`, "/")
	base := w[strings.LastIndex(w, "/")+1:]
	base = strings.TrimSuffix(strings.TrimSuffix(base, ".cmd"), ".exe")
	switch {
	case base == "mcp-remote", strings.HasPrefix(base, "mcp-remote@"):
		return true
	case strings.HasSuffix(w, "mcp-remote/dist/proxy.js"):
		return true
	}
	return false
}

// Parse reads mcp-remote's arguments the way its
// parseCommandLineArgs (0.15.1) does, up to the hash: --header pairs and
// --header-file files are taken out first, the URL is then the first
// argument, and the hash is md5 of the URL, then "|" + --resource, "|" + the
// --authorize-param map, "|" + the header map (both JSON with sorted keys),
// "|" + --client-metadata-url, "|" + --token-endpoint, each when given.
// readFile reads --header-file files (nil: they count as unreadable).
func Parse(args []string, readFile func(string) ([]byte, error)) Config {
	var c Config
	args = append([]string(nil), args...)
	var headers []nodejson.Pair
	for i := 0; i < len(args); {
		switch {
		case args[i] == "--header" && i < len(args)-1:
			if name, val, ok := parseHeaderLine(args[i+1]); ok {
				headers = append(headers, nodejson.Pair{Key: name, Value: val})
			}
			args = append(args[:i], args[i+2:]...)
		case args[i] == "--header-file" && i < len(args)-1:
			hs, err := readHeaderFile(args[i+1], readFile)
			if err != nil {
				c.Problem = "cannot read --header-file " + args[i+1] + ": " + err.Error() + "; mcp-remote would not start"
			}
			headers = append(headers, hs...)
			args = append(args[:i], args[i+2:]...)
		default:
			i++
		}
	}
	if len(args) == 0 {
		c.Problem = "no server URL after mcp-remote"
		return c
	}
	c.ServerURL = args[0]
	parts := []string{c.ServerURL}
	if r := mcpRemoteResource(args); r != "" {
		parts = append(parts, r)
	}
	params, perr := mcpRemoteAuthorizeParams(args)
	if perr != "" {
		c.Problem = perr
	}
	if len(params) > 0 {
		parts = append(parts, jsonSortedObject(params))
	}
	headers = nodejson.Object(headers)
	if len(headers) > 0 {
		parts = append(parts, jsonSortedObject(headers))
		for _, h := range headers {
			c.HeaderNames = append(c.HeaderNames, h.Key)
		}
		sort.Slice(c.HeaderNames, func(i, j int) bool { return nodejson.Less(c.HeaderNames[i], c.HeaderNames[j]) })
	}
	if u := flagValue(args, "--client-metadata-url"); u != "" && isClientMetadataURL(nodejson.Trim(u)) {
		parts = append(parts, nodejson.Trim(u))
	}
	if te := flagValue(args, "--token-endpoint"); te != "" && !strings.HasPrefix(te, "--") && hasArg(args, "--client-credentials") {
		if u, err := url.Parse(nodejson.Trim(te)); err == nil && u.Scheme != "" {
			parts = append(parts, whatwgHref(u))
		}
	}
	c.Hash = md5hex(strings.Join(parts, "|"))
	c.LegacyHash = md5hex(c.ServerURL)
	if _, err := url.Parse(c.ServerURL); err != nil || !strings.Contains(c.ServerURL, "://") {
		c.Problem = "the first argument after mcp-remote is not a URL"
	}
	return c
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// parseHeaderLine is mcp-remote's /^([A-Za-z0-9_-]+):\s*(.*)$/: a name, a
// colon, JS whitespace, then a value without line terminators.
func parseHeaderLine(line string) (name, value string, ok bool) {
	i := strings.IndexByte(line, ':')
	if i <= 0 {
		return "", "", false
	}
	for _, r := range line[:i] {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return "", "", false
		}
	}
	value = strings.TrimLeftFunc(line[i+1:], nodejson.IsSpace)
	if strings.ContainsAny(value, "\n\r\u2028\u2029") {
		return "", "", false
	}
	return line[:i], value, true
}

// readHeaderFile is mcp-remote's --header-file: Name: Value lines, blank
// lines and # comments skipped.
func readHeaderFile(path string, readFile func(string) ([]byte, error)) ([]nodejson.Pair, error) {
	if readFile == nil {
		return nil, errors.New("not read")
	}
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	var out []nodejson.Pair
	for _, line := range strings.FieldsFunc(strings.ReplaceAll(string(data), "\r\n", "\n"), func(r rune) bool { return r == '\n' }) {
		line = nodejson.Trim(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if n, v, ok := parseHeaderLine(line); ok {
			out = append(out, nodejson.Pair{Key: n, Value: v})
		}
	}
	return out, nil
}

// flagValue is args[indexOf(flag)+1] when there is one, as mcp-remote reads
// its single-valued flags.
func flagValue(args []string, flag string) string {
	for i, a := range args {
		if a == flag {
			if i < len(args)-1 {
				return args[i+1]
			}
			return ""
		}
	}
	return ""
}

func hasArg(args []string, flag string) bool {
	for _, a := range args {
		if a == flag {
			return true
		}
	}
	return false
}

// mcpRemoteResource is the --resource value that enters the hash: trimmed,
// dropped when empty or when --disable-resource-parameter is given.
func mcpRemoteResource(args []string) string {
	if hasArg(args, "--disable-resource-parameter") {
		return ""
	}
	return nodejson.Trim(flagValue(args, "--resource"))
}

// mcpRemoteAuthorizeParams collects --authorize-param key=value pairs; a
// malformed or reserved one makes mcp-remote refuse to start.
func mcpRemoteAuthorizeParams(args []string) (params []nodejson.Pair, problem string) {
	reserved := map[string]bool{"client_id": true, "redirect_uri": true, "response_type": true, "state": true,
		"code_challenge": true, "code_challenge_method": true}
	for i := 0; i < len(args)-1; i++ {
		if args[i] != "--authorize-param" {
			continue
		}
		raw := args[i+1]
		sep := strings.IndexByte(raw, '=')
		if sep < 1 {
			return nil, "invalid --authorize-param (expected key=value): mcp-remote would not start"
		}
		key := nodejson.Trim(raw[:sep])
		if reserved[key] {
			return nil, "--authorize-param cannot set " + key + ": mcp-remote would not start"
		}
		params = append(params, nodejson.Pair{Key: key, Value: raw[sep+1:]})
	}
	return nodejson.Object(params), ""
}

// jsonSortedObject is JSON.stringify(obj, Object.keys(obj).sort()).
func jsonSortedObject(pairs []nodejson.Pair) string {
	sorted := append([]nodejson.Pair(nil), pairs...)
	sort.SliceStable(sorted, func(i, j int) bool { return nodejson.Less(sorted[i].Key, sorted[j].Key) })
	return nodejson.StringifyObject(sorted)
}

func isClientMetadataURL(v string) bool {
	u, err := url.Parse(v)
	return err == nil && strings.EqualFold(u.Scheme, "https") && u.Host != "" && u.Path != "/" && u.Path != ""
}

// whatwgHref approximates new URL(v).href for the common cases: lower-case
// scheme and host, default ports dropped, an empty path written as "/".
func whatwgHref(u *url.URL) string {
	v := *u
	v.Scheme = strings.ToLower(v.Scheme)
	v.Host = strings.ToLower(v.Host)
	if p := v.Port(); p == "443" && v.Scheme == "https" || p == "80" && v.Scheme == "http" {
		v.Host = v.Hostname()
	}
	if v.Path == "" {
		v.Path = "/"
	}
	return v.String()
}

// Inspect implements store.Store: every file under srv's hash in every mcp-remote
// folder. A tokens file that does not parse is reported as damaged beside
// the other records.
func (s Store) Inspect(_ context.Context, env registry.Env, srv registry.Server, now time.Time) ([]store.Record, error) {
	if srv.Transport != registry.Stdio {
		return nil, nil
	}
	raw := make([]string, len(srv.Raw.Args))
	for i, a := range srv.Raw.Args {
		raw[i] = a.Reveal()
	}
	mrArgs, ok := Args(srv.Command, raw)
	if !ok {
		return nil, nil
	}
	cfg := Parse(mrArgs, func(p string) ([]byte, error) {
		if !filepath.IsAbs(p) && srv.Cwd != "" {
			p = filepath.Join(srv.Cwd, p)
		}
		return os.ReadFile(p)
	})
	if cfg.Hash == "" {
		return nil, nil
	}
	l := s.listing(Root(env))
	if l.err != nil {
		return nil, l.err
	}
	var recs []store.Record
	var errs []error
	for _, dir := range l.dirs {
		hashes := []string{cfg.Hash}
		if filepath.Base(dir.path) != "mcp-remote-v1" && cfg.LegacyHash != cfg.Hash {
			hashes = append(hashes, cfg.LegacyHash) // releases that hashed the URL alone
		}
		if dir.err != nil {
			errs = append(errs, dir.err)
			continue
		}
		r, err := s.mcpRemoteFiles(dir, hashes, cfg, now)
		recs = append(recs, r...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return recs, errors.Join(errs...)
}

// listing is mcp-remote's folders as one pass lists them, newest layout
// first, each folder's files indexed by the hash before their first "_".
type listing struct {
	dirs []folder
	err  error
}

type folder struct {
	path   string
	byHash map[string][]fileEnt
	err    error
}

// fileEnt is one file of a folder with its modification time, read once
// (each DirEntry.Info is a system call).
type fileEnt struct {
	name  string
	isDir bool
	mod   *time.Time
}

func (s Store) listing(root string) listing {
	return store.Once(s.memo, root, func() listing {
		dirs, err := mcpRemoteDirs(root)
		if err != nil {
			return listing{err: err}
		}
		var l listing
		for _, d := range dirs {
			f := folder{path: d, byHash: map[string][]fileEnt{}}
			ents, err := store.ReadDir(d)
			if err != nil {
				f.err = fmt.Errorf("read %s: %w", d, err)
			}
			for _, e := range ents {
				if i := strings.IndexByte(e.Name(), '_'); i > 0 {
					fe := fileEnt{name: e.Name(), isDir: e.IsDir()}
					if info, err := e.Info(); err == nil {
						fe.mod = nodejson.PtrTime(info.ModTime())
					}
					f.byHash[e.Name()[:i]] = append(f.byHash[e.Name()[:i]], fe)
				}
			}
			l.dirs = append(l.dirs, f)
		}
		return l
	})
}

// mcpRemoteDirs lists the per-version folders under root, newest layout first.
func mcpRemoteDirs(root string) ([]string, error) {
	ents, err := store.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", root, err)
	}
	var dirs []string
	for _, e := range ents {
		if e.IsDir() && strings.HasPrefix(e.Name(), "mcp-remote-") {
			dirs = append(dirs, filepath.Join(root, e.Name()))
		}
	}
	sort.Slice(dirs, func(i, j int) bool {
		vi, vj := filepath.Base(dirs[i]) == "mcp-remote-v1", filepath.Base(dirs[j]) == "mcp-remote-v1"
		if vi != vj {
			return vi
		}
		return dirs[i] > dirs[j]
	})
	return dirs, nil
}

// mcpRemoteFiles are the records of the files filed under one of hashes
// in one folder, in the folder's (name) order.
func (s Store) mcpRemoteFiles(dir folder, hashes []string, cfg Config, now time.Time) ([]store.Record, error) {
	var ents []fileEnt
	for _, h := range hashes {
		ents = append(ents, dir.byHash[h]...)
	}
	sort.Slice(ents, func(i, j int) bool { return ents[i].name < ents[j].name })
	var recs []store.Record
	var errs []error
	for _, e := range ents {
		name := e.name
		rest := name[strings.IndexByte(name, '_')+1:]
		if rest == "" || e.isDir {
			continue
		}
		path := filepath.Join(dir.path, name)
		r := store.Record{Store: store.MCPRemote, File: path, Key: name, Kind: mcpRemoteKind(rest), Resettable: true, Since: e.mod}
		r.Detail = "mcp-remote " + rest + " for " + registry.RedactURL(cfg.ServerURL)
		if r.Kind == KindTokens {
			t := store.Once(s.memo, path, func() tokensRead {
				var t tokensRead
				t.err = describeMCPRemoteTokens(&t.rec, path, now)
				return t
			})
			if t.rec.Detail != "" { // the file was there: what it holds
				r.Active, r.Until, r.Detail = t.rec.Active, t.rec.Until, t.rec.Detail
			}
			if t.err != nil {
				errs = append(errs, t.err)
			}
		}
		recs = append(recs, r)
	}
	return recs, errors.Join(errs...)
}

// tokensRead is what describeMCPRemoteTokens found in one tokens file.
type tokensRead struct {
	rec store.Record
	err error
}

func mcpRemoteKind(rest string) string {
	switch {
	case rest == "tokens.json":
		return KindTokens
	case rest == "client_info.json":
		return KindClient
	case strings.HasPrefix(rest, "code_verifier"), strings.HasPrefix(rest, "discovery_state"):
		return KindFlow
	case strings.HasPrefix(rest, "refresh_in_progress"), strings.HasSuffix(rest, "lock.json"):
		return KindLease
	}
	return KindFile
}

// mcpRemoteExpiryMargin is how early mcp-remote stops trusting an access token.
const mcpRemoteExpiryMargin = 60 * time.Second

// describeMCPRemoteTokens fills a tokens record: presence and expiry, never
// values, judged as mcp-remote's hasUsableTokens does.
func describeMCPRemoteTokens(r *store.Record, path string, now time.Time) error {
	data, ok, err := store.ReadFile(path)
	if err != nil || !ok {
		return err
	}
	top, perr := nodejson.ParseObject(data)
	if perr != nil {
		r.Detail = "mcp-remote tokens file that does not parse: mcp-remote treats it as no tokens"
		return &store.DamagedError{Store: store.MCPRemote, File: path, Reason: perr.Error()}
	}
	access, refresh := nodejson.Get(top, "access_token").Truthy(), nodejson.Get(top, "refresh_token").Truthy()
	var parts []string
	if access {
		parts = append(parts, "access token")
	}
	if refresh {
		parts = append(parts, "refresh token")
	}
	if len(parts) == 0 {
		parts = append(parts, "no token")
	}
	r.Active = access || refresh
	if exp, ok := nodejson.Get(top, "expires_at").Number(); ok {
		t := nodejson.MsTime(exp)
		r.Until = nodejson.PtrTime(t)
		if !now.Before(t.Add(-mcpRemoteExpiryMargin)) {
			r.Active = refresh
			parts = append(parts, "expired at "+t.UTC().Format(time.RFC3339))
		} else {
			parts = append(parts, "valid until "+t.UTC().Format(time.RFC3339))
		}
	}
	r.Detail = "mcp-remote tokens (" + strings.Join(parts, ", ") + ")"
	return nil
}
