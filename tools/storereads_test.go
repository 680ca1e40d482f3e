package tools

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/mcpmend/mcpmend/cache"
	"github.com/mcpmend/mcpmend/cache/mcplogs"
	"github.com/mcpmend/mcpmend/cache/store"
)

// countReads runs f and returns how many times each store file or folder
// was opened for reading.
func countReads(t *testing.T, f func()) map[string]int {
	t.Helper()
	var mu sync.Mutex
	reads := map[string]int{}
	restore := store.SetReadHook(func(p string) {
		mu.Lock()
		reads[p]++
		mu.Unlock()
	})
	defer restore()
	f()
	return reads
}

// readsHome is the issue 15 shape (the same three names in every project,
// gate entries) plus MCP logs of github in two projects' folders.
func readsHome(t *testing.T, projects int) *Deps {
	d := scalingHome(t, projects)
	for _, p := range []string{"project-0000", "project-0001"} {
		folder := strings.NewReplacer("/", "-", ".", "-", "_", "-").Replace(filepath.Join(d.Env.Home, "src", p))
		dir := filepath.Join(mcplogs.Root(d.Env), folder, "mcp-logs-github")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		line := `{"debug":"Skipping connection: needs auth","timestamp":"2026-12-01T10:00:00.000Z"}` + "\n"
		if err := os.WriteFile(filepath.Join(dir, "2026-12-01T10-00-00-000Z.jsonl"), []byte(line), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// TestStoreReadsPerCommand: every read-only command reads each store file
// and folder at most once, however many servers it answers for, and reads
// the same files for 60 servers as for 300 (the same names in more
// projects): the work is linear in the stores, never servers × stores.
func TestStoreReadsPerCommand(t *testing.T) {
	ctx := context.Background()
	commands := map[string]func(d *Deps) error{
		"list_servers": func(d *Deps) error {
			out, err := ListServers(ctx, d, ListServersInput{})
			if err == nil && len(out.States) == 0 {
				err = fmt.Errorf("no states: the stores were not read")
			}
			return err
		},
		"checkup": func(d *Deps) error {
			out, err := Checkup(ctx, d, CheckupInput{SkipProbe: true})
			if err == nil && out.Counts.Error == 0 {
				err = fmt.Errorf("no server in error: gate A on linear was not read")
			}
			return err
		},
		"server_state": func(d *Deps) error {
			_, err := ServerState(ctx, d, ServerStateInput{Name: "github", Scope: "local"})
			if err != nil && strings.Contains(err.Error(), "configured") {
				err = nil // ambiguous across projects: the stores are still read to answer
			}
			return err
		},
		"diagnose_server": func(d *Deps) error {
			_, err := DiagnoseServer(ctx, d, DiagnoseServerInput{Name: "linear", SkipProbe: true})
			return err
		},
	}
	small, big := readsHome(t, 20), readsHome(t, 100)
	for name, run := range commands {
		t.Run(name, func(t *testing.T) {
			var errSmall, errBig error
			rs := countReads(t, func() { errSmall = run(small) })
			rb := countReads(t, func() { errBig = run(big) })
			if errSmall != nil || errBig != nil {
				t.Fatalf("%s: %v / %v", name, errSmall, errBig)
			}
			for p, n := range rb {
				if n > 1 {
					t.Errorf("%s read %s %d times for 300 servers; want once", name, p, n)
				}
			}
			if len(rs) != len(rb) {
				t.Errorf("%s read %d store paths for 60 servers and %d for 300:\n%s\n---\n%s", name, len(rs), len(rb), keys(rs), keys(rb))
			}
			if name == "list_servers" || name == "checkup" {
				for _, want := range []string{".credentials.json", "mcp-needs-auth-cache.json", "mcp-remote-v1"} {
					if !strings.Contains(keys(rb), want) {
						t.Errorf("%s never read %s (reads: %s)", name, want, keys(rb))
					}
				}
			}
			if name == "checkup" && !strings.Contains(keys(rb), ".jsonl") {
				t.Errorf("checkup never read the MCP log (reads: %s)", keys(rb))
			}
		})
	}
}

func keys(m map[string]int) string {
	var ks []string
	for k, n := range m {
		ks = append(ks, fmt.Sprintf("%s×%d", k, n))
	}
	sort.Strings(ks)
	return strings.Join(ks, "\n")
}

// TestListStatesConcurrent: on a list long enough to be inspected on
// several cores, the states are those of inspecting each server in turn
// (run it with -race: the stores are shared by the inspecting goroutines).
func TestListStatesConcurrent(t *testing.T) {
	d := readsHome(t, 200) // 600 servers
	out, err := ListServers(context.Background(), d, ListServersInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Servers) < 512 {
		t.Fatalf("%d servers: too few to be inspected concurrently", len(out.Servers))
	}
	in := cache.NewInspector(d.Env, d.now(), out.Servers)
	want := map[string]cache.Summary{}
	for _, s := range out.Servers {
		if sum := in.Inspect(context.Background(), s).Summary(); !sum.IsZero() {
			want[StateKey(s)] = sum
		}
	}
	if len(want) == 0 || !reflect.DeepEqual(out.States, want) {
		t.Errorf("concurrent states (%d) differ from sequential ones (%d)", len(out.States), len(want))
	}
}
