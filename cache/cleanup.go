package cache

import (
	"os"
	"path/filepath"

	"github.com/mcpmend/mcpmend/cache/credentials"
	"github.com/mcpmend/mcpmend/cache/journal"
	"github.com/mcpmend/mcpmend/cache/needsauth"
	"github.com/mcpmend/mcpmend/internal/localstorage"
	"github.com/mcpmend/mcpmend/internal/lockedfile"
	"github.com/mcpmend/mcpmend/registry"
)

// RemoveStaleTemps clears what killed mcpmend runs left behind, and only
// that: the temp files of atomic writes (`<file>.tmp.<pid>.<12 hex>`, see
// lockedfile.RemoveStaleTemps) beside the files a reset writes and inside
// the journal, and the private copies of Claude Desktop's Local Storage in
// the temp directory (which hold its tokens and hard links to its live
// tables). A temp file of a process still running — Claude Code's or
// another mcpmend's — is never touched. It returns what it removed.
func RemoveStaleTemps(env registry.Env) []string {
	var removed []string
	for _, f := range []string{credentials.File(env), needsauth.File(env), env.ClaudeJSON()} {
		removed = append(removed, lockedfile.RemoveStaleTemps(f)...)
	}
	jdir := journal.Open(env, nil).Dir
	if des, err := os.ReadDir(jdir); err == nil {
		for _, d := range des {
			if d.IsDir() {
				removed = append(removed, lockedfile.RemoveStaleTemps(filepath.Join(jdir, d.Name(), "entry.json"))...)
			}
		}
	}
	return append(removed, localstorage.CleanStaleCopies()...)
}
