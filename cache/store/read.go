package store

import (
	"os"
	"sync"
	"sync/atomic"

	"github.com/mcpmend/mcpmend/internal/nodejson"
)

// readHook, when set, is told the path of every file and directory a store
// opens to inspect it. Tests count reads with it: a read-only command reads
// each store once, however many servers it answers for.
var readHook atomic.Pointer[func(path string)]

// SetReadHook makes f hear of every store read until the returned func is
// called. It is for tests; nil turns counting off.
func SetReadHook(f func(path string)) (restore func()) {
	old := readHook.Swap(&f)
	if f == nil {
		readHook.Store(nil)
	}
	return func() { readHook.Store(old) }
}

// NoteRead tells the read hook about a read a store makes by other means
// (a LevelDB scan of a whole directory).
func NoteRead(path string) { noteRead(path) }

func noteRead(path string) {
	if f := readHook.Load(); f != nil && *f != nil {
		(*f)(path)
	}
}

// ReadFile is nodejson.ReadFile (a missing file is ok=false, not an error)
// as the stores read their files, counted by the read hook.
func ReadFile(path string) (data []byte, ok bool, err error) {
	noteRead(path)
	return nodejson.ReadFile(path)
}

// ReadDir is os.ReadDir as the stores list their directories, counted by
// the read hook.
func ReadDir(path string) ([]os.DirEntry, error) {
	noteRead(path)
	return os.ReadDir(path)
}

// Memo remembers what a store read and indexed, by key (usually the path),
// for the lifetime of one inspection pass: a command that inspects many
// servers reads each file once and answers every server from its index,
// so the work grows with the size of the stores, not with servers × stores.
// A nil *Memo remembers nothing: every call reads afresh, which is what a
// reset plan needs (it must plan from the bytes it hashes).
type Memo struct {
	mu sync.Mutex
	m  map[string]*memoEntry
}

type memoEntry struct {
	once sync.Once
	v    any
}

// NewMemo returns an empty Memo for one pass.
func NewMemo() *Memo { return &Memo{m: map[string]*memoEntry{}} }

// Once returns load()'s result for key, calling load only the first time
// key is asked for (concurrent callers of one key wait for that call).
func Once[V any](m *Memo, key string, load func() V) V {
	if m == nil {
		return load()
	}
	m.mu.Lock()
	e, ok := m.m[key]
	if !ok {
		e = &memoEntry{}
		m.m[key] = e
	}
	m.mu.Unlock()
	e.once.Do(func() { e.v = load() })
	return e.v.(V)
}

// Open is os.Open as the stores open a file to read part of it, counted by
// the read hook.
func Open(path string) (*os.File, error) {
	noteRead(path)
	return os.Open(path)
}
