package desktop

import (
	"context"
	"errors"
	"io/fs"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/mcpmend/mcpmend/internal/lazyre"

	"github.com/mcpmend/mcpmend/internal/localstorage"
	"github.com/mcpmend/mcpmend/registry"
)

// Names lists the server names Claude Desktop's Local Storage keeps items
// for: a key with the word "mcp" in it ("mcp:github:auth", "mcp-auth-github")
// names a server by what is left once the client affixes are taken off —
// the same boundary rules NameMatcher uses, so every name listed resolves
// to items a reset would clear. It is how connectors (Settings →
// Connectors, in no config file) are found. Foreign-format directories
// are skipped; a damaged one is an error after the others are read.
func (s Store) Names(ctx context.Context, env registry.Env) ([]string, error) {
	dirs := s.Dirs
	if dirs == nil {
		dirs = Dirs(env)
	}
	var mu sync.Mutex
	found := map[string]bool{}
	classify := func(encKey, _ []byte) int {
		key, _, ok := localstorage.DecodeString(encKey)
		if !ok {
			return 0
		}
		for _, n := range keyNames(key) {
			if NewNameMatcher(n, nil).Key(key) != KeyNames {
				continue // the matcher reads the key otherwise: a reset would not clear it under n
			}
			mu.Lock()
			found[n] = true
			mu.Unlock()
		}
		return 0
	}
	var firstErr error
	for _, dir := range dirs {
		_, err := localstorage.ScanDir(ctx, dir, classify)
		switch {
		case err == nil, errors.Is(err, fs.ErrNotExist), errors.Is(err, localstorage.ErrForeignFormat):
		case firstErr == nil:
			firstErr = err
		}
	}
	out := make([]string, 0, len(found))
	for n := range found {
		out = append(out, n)
	}
	sort.Strings(out)
	return out, firstErr
}

// keyNames is the server name a Local Storage key holds, by the shapes
// clients build them ("mcp:NAME:auth", "mcp-auth-NAME"): in the part
// between strong separators that carries the word "mcp", what remains once
// affix words are taken off both ends — or, when nothing remains there, in
// the part right after it.
func keyNames(key string) []string {
	if !strings.Contains(strings.ToLower(key), "mcp") {
		return nil
	}
	parts := strings.FieldsFunc(key, isStrong)
	for i, p := range parts {
		if !slices.ContainsFunc(strings.FieldsFunc(p, weakRune), func(w string) bool { return strings.EqualFold(w, "mcp") }) {
			continue
		}
		if n := stripAffixes(p); n != "" {
			return []string{n}
		}
		if i+1 < len(parts) {
			if n := stripAffixes(parts[i+1]); n != "" {
				return []string{n}
			}
		}
		return nil
	}
	return nil
}

// stripAffixes takes client affix words off both ends of a part, keeping
// the separators inside; "" when nothing valid is left.
func stripAffixes(p string) string {
	words := strings.FieldsFunc(p, weakRune)
	for len(words) > 0 && affixWords[strings.ToLower(words[0])] {
		words = words[1:]
	}
	for len(words) > 0 && affixWords[strings.ToLower(words[len(words)-1])] {
		words = words[:len(words)-1]
	}
	if len(words) == 0 {
		return ""
	}
	first := strings.Index(p, words[0])
	last := strings.LastIndex(p, words[len(words)-1]) + len(words[len(words)-1])
	if first < 0 || last <= first || !serverName.MatchString(p[first:last]) {
		return ""
	}
	return p[first:last]
}

func weakRune(r rune) bool { return r == '-' || r == '_' }

// serverName is what Claude's clients accept as a server name.
var serverName = lazyre.New(`^[A-Za-z0-9_-]{1,64}$`)
