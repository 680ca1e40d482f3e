package installer

import (
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/mcpmend/mcpmend/cache/journal"
	"github.com/mcpmend/mcpmend/registry"
)

func init() {
	for _, c := range registry.Clients() {
		journal.RegisterScope("config/"+c, scope)
	}
}

// scope admits only what install and uninstall plan, recomputed for this
// home (the journal is data: an entry.json someone planted must not make a
// replay write another file, or a server of its choosing into a client's
// config): the entry named mcpmend in the step's client's user config file,
// in that file's format and container, and — when the step writes an entry —
// one that runs an mcpmend binary by absolute path with the single argument
// serve, in the shape EntryFor gives that client.
func scope(env registry.Env, _ journal.ServerRef, m journal.Mutation) error {
	ec, ok := m.(*EntryChange)
	if !ok {
		return fmt.Errorf("kind %s", m.Kind())
	}
	u, ok := registry.UserConfig(env, ec.Client)
	if !ok {
		return fmt.Errorf("unknown client %q", ec.Client)
	}
	switch {
	case filepath.Clean(ec.File) != filepath.Clean(u.Path):
		return fmt.Errorf("file %s is not %s's user config %s", ec.File, ec.Client, u.Path)
	case ec.Format != u.Format || ec.Container != u.Servers:
		return fmt.Errorf("format %s/%s is not %s's %s/%s", ec.Format, ec.Container, ec.Client, u.Format, u.Servers)
	case ec.Name != Name:
		return fmt.Errorf("entry %q is not mcpmend's", ec.Name)
	}
	switch ec.Action {
	case "add", "replace", "remove":
	default:
		return fmt.Errorf("action %q", ec.Action)
	}
	if ec.After == nil {
		return nil
	}
	var e struct {
		Command string `json:"command"`
	}
	if err := json.Unmarshal(ec.After, &e); err != nil {
		return fmt.Errorf("entry: %v", err)
	}
	base := filepath.Base(e.Command)
	if !filepath.IsAbs(e.Command) || (base != "mcpmend" && base != "mcpmend.exe") {
		return fmt.Errorf("entry runs %q, not an mcpmend binary by absolute path", e.Command)
	}
	if !sameEntry(ec.After, EntryFor(ec.Client, e.Command)) {
		return fmt.Errorf("entry is not the one install writes for %s", ec.Client)
	}
	return nil
}
