package tools

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/mcpmend/mcpmend/internal/benchhome"
	"github.com/mcpmend/mcpmend/registry"
)

// scalingHome writes a benchhome shape of projects × the same three names
// (no history) and returns Deps for it.
func scalingHome(tb testing.TB, projects int) *Deps {
	tb.Helper()
	home := filepath.Join(tb.TempDir(), "home")
	cwd, err := benchhome.Write(home, benchhome.Shape{Projects: projects})
	if err != nil {
		tb.Fatal(err)
	}
	env := registry.OSEnv().WithHome(home)
	env.CWD = cwd
	return NewDeps(env, nil)
}

// BenchmarkScaling is list_servers and checkup without probes on the shape
// of issue 15: the same three server names in every project, with gate
// entries, at 750, 3,000 and 15,000 servers. Besides each size's seconds it
// reports the ratios between sizes: 4× (750 → 3,000) and 5× (3,000 →
// 15,000) the servers should cost about 4× and 5× the time; a quadratic
// step shows up as 16× and 25×. The times are CPU time (user + system, the
// whole process): on a shared, loaded machine wall time says more about the
// neighbours than about the code.
//
//	go test ./tools -run '^$' -bench Scaling -benchtime 3x
func BenchmarkScaling(b *testing.B) {
	sizes := []int{250, 1000, 5000} // projects; × 3 servers each
	deps := make([]*Deps, len(sizes))
	for i, p := range sizes {
		deps[i] = scalingHome(b, p)
	}
	ctx := context.Background()
	list := make([]time.Duration, len(sizes))
	check := make([]time.Duration, len(sizes))
	for b.Loop() {
		for i, d := range deps {
			start := cpuTime()
			out, err := ListServers(ctx, d, ListServersInput{})
			if err != nil || len(out.Servers) != 3*sizes[i] || len(out.States) == 0 {
				b.Fatalf("list: %v, %d servers", err, len(out.Servers))
			}
			list[i] += cpuTime() - start
			start = cpuTime()
			c, err := Checkup(ctx, d, CheckupInput{SkipProbe: true})
			if err != nil || c.Counts.Servers != 3*sizes[i] {
				b.Fatalf("checkup: %v", err)
			}
			check[i] += cpuTime() - start
		}
	}
	n := float64(b.N)
	for i, p := range sizes {
		b.ReportMetric(list[i].Seconds()/n, "list_"+itoa(3*p)+"_cpu_s")
		b.ReportMetric(check[i].Seconds()/n, "checkup_"+itoa(3*p)+"_cpu_s")
	}
	b.ReportMetric(list[1].Seconds()/list[0].Seconds(), "list_x4_ratio")
	b.ReportMetric(list[2].Seconds()/list[1].Seconds(), "list_x5_ratio")
	b.ReportMetric(check[1].Seconds()/check[0].Seconds(), "checkup_x4_ratio")
	b.ReportMetric(check[2].Seconds()/check[1].Seconds(), "checkup_x5_ratio")
}

func itoa(n int) string {
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}
