package needsauth

import (
	"fmt"

	"github.com/mcpmend/mcpmend/cache/journal"
	"github.com/mcpmend/mcpmend/cache/mutation"
	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/internal/jsonedit"
	"github.com/mcpmend/mcpmend/registry"
)

func init() { journal.RegisterScope(store.NeedsAuth, scope) }

// scope admits only what PlanReset plans: the server's own entry of this
// home's needs-auth cache, no lock, the file's own mode.
func scope(env registry.Env, srv journal.ServerRef, m journal.Mutation) error {
	jd, ok := m.(*mutation.JSONDelete)
	if !ok {
		return fmt.Errorf("kind %s", m.Kind())
	}
	return jd.Within(File(env), nil, 0, func(p jsonedit.Path) bool {
		return len(p) == 1 && p[0] == srv.Name
	})
}
