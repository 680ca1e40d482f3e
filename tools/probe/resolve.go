package probe

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/mcpmend/mcpmend/registry"
)

// Resolve checks, without starting or dialling anything, what Probe's first
// phase checks for a stdio server: its configuration expands as the client
// expands it, its working directory exists and its command is found on the
// PATH the client passes. ok is false when that already fails; r then holds
// the verdict (CommandNotFound, ConfigError) exactly as Probe would report
// it. Remote servers are not judged here: ok is true.
func Resolve(s registry.Server, opts Options) (r Result, ok bool) {
	return NewResolver(opts).Resolve(s)
}

// Resolver is Resolve for many servers of one command (a checkup of
// thousands): what every server shares is computed once — the inherited
// environment as a map and the credentials in it — instead of once per
// server, and a server's environment is copied only when its entry sets
// variables of its own. Texts that repeat from server to server (the same
// command missing in every project) are redacted once. A Resolver is safe
// for concurrent use; its results are those of Resolve.
type Resolver struct {
	opts    Options
	env     map[string]string // inherited; never written after NewResolver
	secrets []registry.Secret // the inherited credentials

	redact memo[string, string] // RedactText of a text already seen, up to maxRedactMemo
	// dirs and looks remember the file system's answers for one command:
	// 5,000 projects' servers run the same commands from a few folders.
	dirs  memo[string, dirAnswer]
	looks memo[lookKey, lookAnswer]
}

// memo remembers answers for one command, safe for concurrent use: at
// most max of them (0: all). Two goroutines asking the same new question
// at once may both compute it; the answers are the same.
type memo[K comparable, V any] struct {
	mu  sync.Mutex
	m   map[K]V
	max int
}

// get returns the answer to k, computing it with f the first time.
func (m *memo[K, V]) get(k K, f func() V) V {
	m.mu.Lock()
	v, ok := m.m[k]
	m.mu.Unlock()
	if ok {
		return v
	}
	v = f()
	m.mu.Lock()
	if m.m == nil {
		m.m = map[K]V{}
	}
	if m.max == 0 || len(m.m) < m.max {
		m.m[k] = v
	}
	m.mu.Unlock()
	return v
}

type dirAnswer struct {
	st  os.FileInfo
	err error
}

type lookKey struct{ file, pathEnv, dir string }

type lookAnswer struct {
	path string
	err  error
}

// statDir is os.Stat(dir), remembered.
func (rv *Resolver) statDir(dir string) (os.FileInfo, error) {
	a := rv.dirs.get(dir, func() dirAnswer {
		st, err := os.Stat(dir)
		return dirAnswer{st, err}
	})
	return a.st, a.err
}

// lookPath is lookPath, remembered. The folder is part of the question
// only when the answer can depend on it: a relative command or PATH entry.
func (rv *Resolver) lookPath(file, pathEnv, dir string) (string, error) {
	k := lookKey{file, pathEnv, dir}
	if !strings.ContainsAny(file, `/\`) && !slices.ContainsFunc(filepath.SplitList(pathEnv), func(d string) bool { return !filepath.IsAbs(d) }) {
		k.dir = ""
	}
	a := rv.looks.get(k, func() lookAnswer {
		path, err := lookPath(file, pathEnv, dir)
		return lookAnswer{path, err}
	})
	return a.path, a.err
}

// maxRedactMemo bounds the redaction memo: texts that name a project's own
// folder are all different, and each is redacted once anyway.
const maxRedactMemo = 4096

// NewResolver reads opts' environment once for every Resolve that follows.
func NewResolver(opts Options) *Resolver {
	opts = opts.withDefaults()
	env := environMap(opts.Environ)
	return &Resolver{opts: opts, env: env, secrets: inheritedSecrets(env), redact: memo[string, string]{max: maxRedactMemo}}
}

// Resolve is the package's Resolve with rv's options.
func (rv *Resolver) Resolve(s registry.Server) (r Result, ok bool) {
	if s.Transport != registry.Stdio {
		return Result{}, true
	}
	p := newProberWith(s, rv.opts, rv.env, rv.secrets)
	p.resolver = rv
	_, ev, err := p.stdioCommand()
	p.r.Process = ev
	if err == nil {
		return p.r, true
	}
	p.note("the server was not started: only its command was looked up")
	return p.r, false
}

// redactText is registry.RedactText, remembered: the result depends on the
// text alone.
func (rv *Resolver) redactText(s string) string {
	return rv.redact.get(s, func() string { return registry.RedactText(s) })
}
