package installer

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/mcpmend/mcpmend/cache/journal"
	"github.com/mcpmend/mcpmend/registry"
)

// TestScopeAdmitsOnlyWhatInstallPlans: a planted journal step may not make a
// replay write another file, another entry, or a server of its choosing.
func TestScopeAdmitsOnlyWhatInstallPlans(t *testing.T) {
	env := testEnv(t)
	u, _ := registry.UserConfig(env, registry.Cursor)
	good := func() *EntryChange {
		return &EntryChange{Client: registry.Cursor, File: u.Path, Format: u.Format, Container: u.Servers, Name: Name,
			Action: "add", After: EntryFor(registry.Cursor, "/usr/local/bin/mcpmend")}
	}
	if err := scope(env, journal.ServerRef{}, good()); err != nil {
		t.Fatalf("install's own step refused: %v", err)
	}
	evil := map[string]func(*EntryChange){
		"another file":      func(m *EntryChange) { m.File = filepath.Join(env.Home, ".bashrc") },
		"outside the home":  func(m *EntryChange) { m.File = "/etc/cron.d/x" },
		"another entry":     func(m *EntryChange) { m.Name = "github" },
		"another container": func(m *EntryChange) { m.Container = "servers" },
		"another program":   func(m *EntryChange) { m.After = EntryFor(registry.Cursor, "/tmp/evil/sh") },
		"a relative mcpmend": func(m *EntryChange) {
			m.After = EntryFor(registry.Cursor, "mcpmend")
		},
		"more arguments": func(m *EntryChange) {
			m.After = json.RawMessage(`{"command":"/usr/local/bin/mcpmend","args":["serve","--http","0.0.0.0:1"]}`)
		},
		"an env": func(m *EntryChange) {
			m.After = json.RawMessage(`{"command":"/usr/local/bin/mcpmend","args":["serve"],"env":{"LD_PRELOAD":"/tmp/x.so"}}`)
		},
		"unknown action": func(m *EntryChange) { m.Action = "chmod" },
		"unknown client": func(m *EntryChange) { m.Client = "evil" },
	}
	for name, spoil := range evil {
		m := good()
		spoil(m)
		if err := scope(env, journal.ServerRef{}, m); err == nil {
			t.Errorf("%s: admitted %+v", name, m)
		}
	}
}
