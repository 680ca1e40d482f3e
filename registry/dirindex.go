package registry

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// dirIndex answers "can this directory exist?" from one listing of its
// parent, shared by every project under that parent. ~/.claude.json names
// every folder Claude Code was ever started in, most of them long deleted
// or never there: a stat of each one's .mcp.json was a third of
// discovering 5,000 projects, and they sit under a handful of parents
// (~/src, ~/work). It only ever rules a directory out; whatever it cannot
// rule out is read as before, so a wrong answer can cost a stat, never a
// server.
type dirIndex struct {
	mu      sync.Mutex
	parents map[string]*dirListing
}

// dirListing is one parent's entries, read once.
type dirListing struct {
	once    sync.Once
	missing bool                // the parent does not exist: nor do its children
	names   map[string]struct{} // entries, lower-cased; nil when not usable
}

// mayExist reports whether dir might exist. It is false only when dir's
// parent does not exist, or was listed and holds no entry named like dir.
// Names are compared ignoring ASCII case (macOS and Windows folders are
// case-insensitive). Beyond ASCII, file systems fold and normalise names
// in their own ways (on APFS the Kelvin sign matches k), so a name with
// other bytes is never ruled out, and nor is anything in a parent holding
// such a name.
func (x *dirIndex) mayExist(dir string) bool {
	parent, base := filepath.Split(filepath.Clean(dir))
	if base == "" || parent == "" || !isASCII(base) {
		return true
	}
	l := x.listing(parent)
	l.once.Do(func() { l.read(parent) })
	if l.missing {
		return false
	}
	if l.names == nil {
		return true
	}
	_, ok := l.names[strings.ToLower(base)]
	return ok
}

func (x *dirIndex) listing(parent string) *dirListing {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.parents == nil {
		x.parents = map[string]*dirListing{}
	}
	l := x.parents[parent]
	if l == nil {
		l = &dirListing{}
		x.parents[parent] = l
	}
	return l
}

// read lists parent. A parent that cannot be listed for another reason
// than not existing (permissions, not a directory) leaves names nil:
// nothing is ruled out.
func (l *dirListing) read(parent string) {
	f, err := os.Open(parent)
	if errors.Is(err, fs.ErrNotExist) {
		l.missing = true
		return
	}
	if err != nil {
		return
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return
	}
	set := make(map[string]struct{}, len(names))
	for _, n := range names {
		if !isASCII(n) {
			return
		}
		set[strings.ToLower(n)] = struct{}{}
	}
	l.names = set
}
