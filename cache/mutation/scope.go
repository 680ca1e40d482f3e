package mutation

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/mcpmend/mcpmend/internal/jsonedit"
	"github.com/mcpmend/mcpmend/internal/keychain"
	"github.com/mcpmend/mcpmend/internal/lockedfile"
)

// These helpers let a store's journal.ScopeCheck compare a mutation rebuilt
// from the journal with what the store derives itself (see
// journal.RegisterScope): the paths must be equal, not merely similar.

// KeyRule says whether a record path is one a reset of the server may remove.
type KeyRule func(p jsonedit.Path) bool

// Within reports why m does not act on exactly file, under exactly lock (nil:
// no lock), with mode perm, removing only keys rule allows.
func (m *JSONDelete) Within(file string, lock *lockedfile.DirLock, perm fs.FileMode, rule KeyRule) error {
	if m.File != file {
		return fmt.Errorf("file %q is not %q", m.File, file)
	}
	if m.Perm != perm {
		return fmt.Errorf("mode %v is not %v", m.Perm, perm)
	}
	if err := lockWithin(m.Lock, lock); err != nil {
		return err
	}
	return targetsWithin(m.Targets, rule)
}

// Within reports why m does not act on exactly item, under exactly lock,
// removing only keys rule allows.
func (m *KeychainDelete) Within(item keychain.Item, lock *lockedfile.DirLock, rule KeyRule) error {
	if m.Item != item {
		return fmt.Errorf("keychain item %s is not %s", m.Item, item)
	}
	if err := lockWithin(m.Lock, lock); err != nil {
		return err
	}
	return targetsWithin(m.Targets, rule)
}

// Within reports why a target of m is not a plain file directly inside one
// of dirs whose name rule allows, or asks for an executable or special mode.
func (m *FileDelete) Within(dirs []string, rule func(name string) bool) error {
	if len(m.Targets) == 0 {
		return fmt.Errorf("no files")
	}
	for _, t := range m.Targets {
		if t.Path != filepath.Clean(t.Path) || !filepath.IsAbs(t.Path) {
			return fmt.Errorf("path %q is not clean and absolute", t.Path)
		}
		dir, name := filepath.Split(t.Path)
		if !contains(dirs, filepath.Clean(dir)) {
			return fmt.Errorf("%q is not in a directory the store uses", t.Path)
		}
		if !rule(name) {
			return fmt.Errorf("%q is not a file name the store uses", t.Path)
		}
		if t.Perm&^0o666 != 0 {
			return fmt.Errorf("mode %v of %q is more than read-write", t.Perm, t.Path)
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func lockWithin(got *LockSpec, want *lockedfile.DirLock) error {
	switch {
	case got == nil && want == nil:
		return nil
	case got == nil || want == nil:
		return fmt.Errorf("lock %v is not %v", got, SpecOfLock(want))
	case got.Path != want.Path || got.Stale != want.Stale:
		return fmt.Errorf("lock %q (stale %s) is not %q (stale %s)", got.Path, got.Stale, want.Path, want.Stale)
	}
	return nil
}

func targetsWithin(ts []JSONTarget, rule KeyRule) error {
	if len(ts) == 0 {
		return fmt.Errorf("no records")
	}
	for _, t := range ts {
		if !rule(t.Path) {
			return fmt.Errorf("record %s is not one of the server's", t.Path)
		}
	}
	return nil
}

// UnderName is a KeyRule for records filed under one of tops, keyed
// "<name>|…" (Claude Code's mcpOAuth and mcpOAuthClientConfig).
func UnderName(name string, tops ...string) KeyRule {
	return func(p jsonedit.Path) bool {
		return len(p) >= 2 && contains(tops, p[0]) && strings.HasPrefix(p[1], name+"|")
	}
}
