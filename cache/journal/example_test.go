package journal_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/mcpmend/mcpmend/cache/journal"
	"github.com/mcpmend/mcpmend/cache/mutation"
	"github.com/mcpmend/mcpmend/cache/needsauth"
	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/internal/jsonedit"
	"github.com/mcpmend/mcpmend/registry"
)

// A store's reset plugs into the journal as a Mutation. JSON stores use
// PlanJSONDelete: plan against the file as it is, record the plan, apply
// (under the owner's lock, with a backup), and undo byte for byte.
func ExampleJournal() {
	home, _ := os.MkdirTemp("", "mcpmend-example-")
	defer os.RemoveAll(home)
	env := registry.Env{Home: home, GOOS: "linux", Getenv: func(string) string { return "" }}
	file := needsauth.File(env)
	os.MkdirAll(filepath.Dir(file), 0o700)
	os.WriteFile(file, []byte(`{"github":{"timestamp":1795710000000},"linear":{"timestamp":1795710000001}}`), 0o600)

	m, err := mutation.PlanJSONDelete(store.NeedsAuth, file, nil, 0, jsonedit.Compact,
		[]mutation.JSONTarget{{Path: jsonedit.Path{"github"}, Kind: store.KindNeedsAuth}})
	if err != nil {
		panic(err)
	}
	j := journal.Open(env, nil)
	e, _ := j.Begin(journal.ServerRef{Name: "github", Client: "claude-code"}, []journal.Mutation{m}, journal.BeginOptions{})
	for _, c := range e.Steps[0].Changes {
		fmt.Println("plan:", c.Action, c.Key, "in", filepath.Base(c.File))
	}
	e, _ = j.Apply(context.Background(), e.ID)
	after, _ := os.ReadFile(file)
	fmt.Println(e.Steps[0].Status, string(after))

	e, _ = j.Undo(context.Background(), e.ID)
	restored, _ := os.ReadFile(file)
	fmt.Println(e.Steps[0].Status, string(restored))
	// Output:
	// plan: delete github in mcp-needs-auth-cache.json
	// applied {"linear":{"timestamp":1795710000001}}
	// undone {"github":{"timestamp":1795710000000},"linear":{"timestamp":1795710000001}}
}
