package desktop

import (
	"errors"
	"fmt"

	"github.com/mcpmend/mcpmend/cache/journal"
	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/registry"
)

func init() { journal.RegisterScope(store.Desktop, scope) }

// scope admits only one of this home's Claude Desktop Local Storage
// directories, and only item rows ("_" + storage key + NUL + key).
func scope(env registry.Env, _ journal.ServerRef, m journal.Mutation) error {
	d, ok := m.(*Delete)
	if !ok {
		return fmt.Errorf("kind %s", m.Kind())
	}
	found := false
	for _, dir := range Dirs(env) {
		found = found || dir == d.Dir
	}
	if !found {
		return fmt.Errorf("directory %q is not Claude Desktop's Local Storage in this home", d.Dir)
	}
	for _, t := range d.Targets {
		if len(t.Row) < 3 || t.Row[0] != '_' {
			return errors.New("a row that is not a Local Storage item")
		}
	}
	return nil
}
