package cache

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/internal/benchhome"
	"github.com/mcpmend/mcpmend/registry"
)

// sharedHome is a heavy user's home: 12 projects that each define the same
// three servers, with gate entries in every store that files them.
func sharedHome(t *testing.T) (registry.Env, []registry.Server) {
	t.Helper()
	home := t.TempDir()
	cwd, err := benchhome.Write(home, benchhome.Shape{Projects: 12, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	env := registry.Env{Home: home, CWD: cwd, GOOS: "linux", Getenv: func(string) string { return "" }}
	inv := registry.Discover(env)
	if len(inv.Servers) != 36 {
		t.Fatalf("discovered %d servers, want 36: %+v", len(inv.Servers), inv.Problems)
	}
	return env, inv.Servers
}

// elsewhere is s written somewhere else: another project, file, path and
// folder, with other problems.
func elsewhere(s registry.Server) registry.Server {
	s.Project = "/elsewhere/project"
	s.File = "/elsewhere/.mcp.json"
	s.Path = "mcpServers.elsewhere"
	s.WorkDir = "/elsewhere"
	s.WorkDirNote = "moved"
	s.TrustHint = "trust it elsewhere"
	s.Problems = []string{"a problem of its own"}
	return s
}

// The premise of Summaries: no store but the MCP logs judges a server by
// where it is written. A store that starts to must fail here, and then be
// kept out of shared inspections the way MCP logs is.
func TestStoresIgnoreWhereAServerIsWritten(t *testing.T) {
	env, servers := sharedHome(t)
	now := time.Now()
	for _, s := range DefaultStores(servers) {
		if s.Name() == store.MCPLogs {
			continue
		}
		for _, srv := range servers {
			a, errA := s.Inspect(context.Background(), env, srv, now)
			b, errB := s.Inspect(context.Background(), env, elsewhere(srv), now)
			if !reflect.DeepEqual(a, b) || (errA == nil) != (errB == nil) {
				t.Errorf("%s judges %s by where it is written:\n here:      %+v %v\n elsewhere: %+v %v", s.Name(), srv.ID(), a, errA, b, errB)
			}
		}
	}
}

// Summaries answers every server as inspecting it alone would, sharing
// inspections only between servers that differ in where they are written.
func TestSummariesEqualOneInspectionEach(t *testing.T) {
	env, servers := sharedHome(t)
	servers = append(servers, elsewhere(servers[0]))
	other := servers[1]
	other.Raw.URL = "https://other.example/mcp" // same name, another key: not shared
	servers = append(servers, other)
	in := NewInspector(env, time.Now(), servers)
	got := in.Summaries(context.Background(), servers)
	notable := 0
	for i, srv := range servers {
		want := in.Inspect(context.Background(), srv).Summary()
		if !reflect.DeepEqual(got[i], want) {
			t.Errorf("%s (%s): Summaries says %+v, one inspection %+v", srv.ID(), srv.Project, got[i], want)
		}
		if want.Notable() {
			notable++
		}
	}
	if notable < len(servers)/2 {
		t.Fatalf("only %d of %d servers have something remembered: the home has no gate entries to compare", notable, len(servers))
	}
}

// With the MCP logs store, whose lines are filed by project folder, every
// server is inspected on its own.
func TestSummariesInspectEachServerWhenLogsAreRead(t *testing.T) {
	env, servers := sharedHome(t)
	in := NewInspector(env, time.Now(), servers)
	if in.sharable() {
		t.Fatal("an Inspector reading MCP logs shares inspections between projects")
	}
	var logs store.Store
	for _, s := range in.Stores {
		if s.Name() == store.MCPLogs {
			logs = s
		}
	}
	n := new(int)
	in.Stores = []store.Store{countingStore{logs, n}}
	in.Summaries(context.Background(), servers)
	if *n != len(servers) {
		t.Fatalf("%d inspections for %d servers: with MCP logs read, each server needs its own", *n, len(servers))
	}
	in.Stores = []store.Store{countingStore{DefaultStores(servers)[0], n}}
	*n = 0
	in.Summaries(context.Background(), servers)
	if *n != len(benchhome.Names) {
		t.Fatalf("%d inspections for %d servers of %d distinct configurations", *n, len(servers), len(benchhome.Names))
	}
}

// countingStore counts Inspect calls.
type countingStore struct {
	store.Store
	n *int
}

func (c countingStore) Inspect(ctx context.Context, env registry.Env, srv registry.Server, now time.Time) ([]store.Record, error) {
	*c.n++
	return c.Store.Inspect(ctx, env, srv, now)
}

// The state key must place every field of a server: as part of what a
// store may judge, or as where the server is written. A new field fails
// here until appendStateKey (and this list) say which it is.
func TestStateKeyCoversEveryField(t *testing.T) {
	where := map[string]bool{"Project": true, "File": true, "Path": true, "WorkDir": true, "WorkDirNote": true, "TrustHint": true, "Problems": true}
	keyed := map[string]bool{"Name": true, "Client": true, "Scope": true, "Transport": true, "Command": true, "Args": true, "Cwd": true,
		"EnvNames": true, "URL": true, "HeaderNames": true, "HeadersHelper": true, "OAuth": true, "Disabled": true, "Approval": true,
		"Untrusted": true, "Effective": true, "ShadowedBy": true, "Raw": true}
	check := func(typ reflect.Type, known map[string]bool) {
		for f := range typ.Fields() {
			if !known[f.Name] && !where[f.Name] {
				t.Errorf("%s.%s: appendStateKey does not say whether inspections depend on it", typ, f.Name)
			}
		}
	}
	check(reflect.TypeFor[registry.Server](), keyed)
	check(reflect.TypeFor[registry.Raw](), map[string]bool{"Type": true, "Command": true, "URL": true, "Args": true, "Env": true,
		"Headers": true, "HeadersHelper": true, "Entry": true})
	check(reflect.TypeFor[registry.OAuth](), map[string]bool{"ClientID": true, "CallbackPort": true, "AuthServerMetadataURL": true, "Scopes": true})

	// And every keyed field changes the key.
	base := registry.Server{Name: "n", OAuth: &registry.OAuth{}}
	key := func(s registry.Server) string { return string(appendStateKey(nil, &s)) }
	for _, mut := range []func(*registry.Server){
		func(s *registry.Server) { s.Name = "m" }, func(s *registry.Server) { s.Client = "c" },
		func(s *registry.Server) { s.Scope = "s" }, func(s *registry.Server) { s.Transport = "http" },
		func(s *registry.Server) { s.Command = "x" }, func(s *registry.Server) { s.Args = []string{"a"} },
		func(s *registry.Server) { s.Cwd = "/" }, func(s *registry.Server) { s.EnvNames = []string{"E"} },
		func(s *registry.Server) { s.URL = "u" }, func(s *registry.Server) { s.HeaderNames = []string{"H"} },
		func(s *registry.Server) { s.HeadersHelper = true }, func(s *registry.Server) { s.OAuth = nil },
		func(s *registry.Server) { s.OAuth = &registry.OAuth{ClientID: "id"} },
		func(s *registry.Server) { s.OAuth = &registry.OAuth{CallbackPort: 1} },
		func(s *registry.Server) { s.OAuth = &registry.OAuth{AuthServerMetadataURL: "m"} },
		func(s *registry.Server) { s.OAuth = &registry.OAuth{Scopes: []string{"s"}} },
		func(s *registry.Server) { s.Disabled = true }, func(s *registry.Server) { s.Approval = "pending" },
		func(s *registry.Server) { s.Untrusted = true }, func(s *registry.Server) { s.Effective = true },
		func(s *registry.Server) { s.ShadowedBy = "user f" }, func(s *registry.Server) { s.Raw.Type = "sse" },
		func(s *registry.Server) { s.Raw.Command = "c" }, func(s *registry.Server) { s.Raw.URL = "u" },
		func(s *registry.Server) { s.Raw.Args = []registry.Secret{"a"} },
		func(s *registry.Server) { s.Raw.Env = []registry.EnvVar{{Name: "E", Value: "v"}} },
		func(s *registry.Server) { s.Raw.Headers = []registry.Header{{Name: "H", Value: "v"}} },
		func(s *registry.Server) { s.Raw.HeadersHelper = "h" }, func(s *registry.Server) { s.Raw.Entry = "{}" },
		// Length prefixes: moving a byte between neighbours changes the key.
		func(s *registry.Server) { s.Name, s.Client = "", "n" },
	} {
		s := base
		s.OAuth = &registry.OAuth{}
		mut(&s)
		if key(s) == key(base) {
			t.Errorf("a change to %+v leaves the state key as it was", s)
		}
	}
	if key(base) != key(elsewhere(base)) {
		t.Error("where a server is written changes its state key")
	}
}
