package mcpremote

import (
	"fmt"
	"os"

	"github.com/mcpmend/mcpmend/internal/lazyre"

	"github.com/mcpmend/mcpmend/cache/journal"
	"github.com/mcpmend/mcpmend/cache/mutation"
	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/registry"
)

func init() { journal.RegisterScope(store.MCPRemote, scope) }

// fileName is what mcp-remote names a server's files: hex md5, "_", then a
// plain name (tokens.json, client_info.json, code_verifier.txt, …).
var fileName = lazyre.New(`^[0-9a-f]{32}_[A-Za-z0-9_.-]+$`)

// scope admits only files directly inside this home's mcp-remote-* folders
// that are named as mcp-remote names a server's files and are not leases,
// at most 0600. Which server a hash belongs to cannot be recomputed without
// the server's command line, so the check is the folder and the name shape.
func scope(env registry.Env, _ journal.ServerRef, m journal.Mutation) error {
	fd, ok := m.(*mutation.FileDelete)
	if !ok {
		return fmt.Errorf("kind %s", m.Kind())
	}
	dirs, err := mcpRemoteDirs(Root(env))
	if err != nil {
		return err
	}
	var real []string
	for _, d := range dirs {
		if fi, err := os.Lstat(d); err == nil && fi.IsDir() {
			real = append(real, d)
		}
	}
	return fd.Within(real, func(name string) bool {
		return fileName.MatchString(name) && mcpRemoteKind(name[33:]) != KindLease
	})
}
