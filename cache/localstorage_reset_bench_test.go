//go:build unix

package cache

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/mcpmend/mcpmend/cache/desktop"
	"github.com/mcpmend/mcpmend/cache/internal/storetest"
	"github.com/mcpmend/mcpmend/cache/journal"
	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/internal/localstorage/lstest"
	"github.com/mcpmend/mcpmend/registry"
)

// desktopBenchBytes is the size of the generated database for the reset
// benchmarks: $MCPMEND_DESKTOP_BENCH_MB megabytes, 20 by default (a large
// real profile; the 200 MB scan benchmark covers the extreme).
func desktopBenchBytes() int64 {
	if mb, err := strconv.Atoi(os.Getenv("MCPMEND_DESKTOP_BENCH_MB")); err == nil && mb > 0 {
		return int64(mb) << 20
	}
	return 20 << 20
}

// benchDesktopHome generates a Local Storage database in a home's Claude
// Desktop profile (lstest.MakeBenchDB: 1 in 100 items keyed by github).
func benchDesktopHome(b *testing.B) (home, dir string, size int64) {
	b.Helper()
	home = b.TempDir()
	dir = filepath.Join(home, ".config", "Claude", "Local Storage", "leveldb")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	size = lstest.MakeBenchDB(b, dir, desktopBenchBytes())
	return home, dir, size
}

// BenchmarkDesktopReset compares, on one generated database: a read-only
// scan (what server_state costs), a reset (plan + backup + the staged edit
// with compaction + install + both validations, through the journal) and
// its undo. Report the reset's time as a multiple of the scan's.
func BenchmarkDesktopReset(b *testing.B) {
	home, dir, size := benchDesktopHome(b)
	env := storetest.Env(home)
	ctx := context.Background()
	srv := registry.Server{Name: "github", Client: registry.ClaudeDesktop}
	b.Run("scan", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			if _, err := desktop.Scan(ctx, dir, desktop.NewNameMatcher("github", nil)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("reset+undo", func(b *testing.B) {
		b.SetBytes(size)
		var reset, undo time.Duration
		for b.Loop() {
			t0 := time.Now()
			muts, err := desktop.Store{Others: []string{}}.PlanReset(ctx, env, store.ResetRequest{Server: srv})
			if err != nil || len(muts) != 1 {
				b.Fatal(muts, err)
			}
			j := journal.Open(env, nil)
			e, err := RunReset(ctx, j, journal.ServerRef{Name: "github"}, muts)
			if err != nil || statuses(e) != "applied" {
				b.Fatalf("%v %s %+v", err, statuses(e), e.Steps)
			}
			t1 := time.Now()
			if _, err := j.Undo(ctx, e.ID); err != nil {
				b.Fatal(err)
			}
			reset, undo = reset+t1.Sub(t0), undo+time.Since(t1)
			os.RemoveAll(e.Dir()) // keep the disk use flat across iterations
		}
		b.ReportMetric(float64(reset.Milliseconds())/float64(b.N), "reset-ms/op")
		b.ReportMetric(float64(undo.Milliseconds())/float64(b.N), "undo-ms/op")
	})
}

// BenchmarkDesktopInspectServers is what list_servers' states cost per
// Claude Desktop server: each one is matched by its own scan of the
// database (the reader takes one name per scan), against one scan alone.
func BenchmarkDesktopInspectServers(b *testing.B) {
	home, _, size := benchDesktopHome(b)
	env := storetest.Env(home)
	var servers []registry.Server
	for i := range 10 {
		servers = append(servers, registry.Server{Name: fmt.Sprintf("server%d", i), Client: registry.ClaudeDesktop, Scope: "user"})
	}
	for _, n := range []int{1, 10} {
		b.Run(fmt.Sprintf("servers=%d", n), func(b *testing.B) {
			b.SetBytes(size)
			for b.Loop() {
				in := &Inspector{Env: env, Now: time.Now(), Stores: []store.Store{desktop.Store{Others: []string{}}}}
				for _, s := range servers[:n] {
					if st := in.Inspect(context.Background(), s); len(st.Damage) > 0 {
						b.Fatal(st.Damage)
					}
				}
			}
		})
	}
}
