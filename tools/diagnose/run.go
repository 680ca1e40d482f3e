package diagnose

import (
	"context"
	"time"

	"github.com/mcpmend/mcpmend/cache"
	"github.com/mcpmend/mcpmend/registry"
	"github.com/mcpmend/mcpmend/tools/probe"
)

// Job is one server definition to diagnose.
type Job struct {
	Server registry.Server
	// Probe says whether to dial it; when false, NotProbed says why (an
	// unapproved project server is never started, for one).
	Probe     bool
	NotProbed string
	// Resolve, for a job not dialled, still looks its stdio command up on
	// the client's PATH (nothing is started): a missing command is then
	// command-not-found, as a probe would report it.
	Resolve bool
}

// Options configure Run.
type Options struct {
	Env registry.Env
	Now time.Time // the clock the stores are judged at
	// Inventory is everything Discover found: the credentials store needs
	// every configuration to tell orphaned entries, and the judgment the
	// other definitions of a name and the file problems naming it.
	Inventory *registry.Inventory
	Probe     probe.Options
	Progress  probe.Progress // told about each finished probe
}

// Run diagnoses every job: the servers to dial are probed concurrently by
// probe.ProbeAll (with its bounds on processes and connections) while the
// client stores are read, in one pass, beside them. Reports come back in
// the order of jobs. When ctx is cancelled, probes not finished report
// Cancelled; the caller decides whether a partial answer is worth giving.
func Run(ctx context.Context, jobs []Job, opts Options) []Report {
	if opts.Inventory == nil {
		opts.Inventory = &registry.Inventory{}
	}
	var dial []registry.Server
	slot := map[int]int{}
	jobs = append([]Job(nil), jobs...)
	for i, j := range jobs {
		if j.Probe && j.Server.Untrusted { // never started, whoever asks
			jobs[i].Probe, jobs[i].NotProbed = false, "its client does not trust this folder: "+j.Server.TrustHint
			continue
		}
		if j.Probe {
			slot[i] = len(dial)
			dial = append(dial, j.Server)
		}
	}
	states := make([]*cache.State, len(jobs))
	inspected := make(chan struct{})
	go func() {
		defer close(inspected)
		in := cache.NewInspector(opts.Env, opts.Now, opts.Inventory.Servers)
		for i, j := range jobs {
			states[i] = in.Inspect(ctx, j.Server)
		}
	}()
	results := probe.ProbeAll(ctx, dial, opts.Probe, opts.Progress)
	<-inspected
	reports := make([]Report, len(jobs))
	for i, j := range jobs {
		in := Input{Server: j.Server, State: states[i], NotProbed: j.NotProbed}
		if k, ok := slot[i]; ok {
			in.Probe = &results[k]
		} else if j.Resolve {
			if r, ok := probe.Resolve(j.Server, opts.Probe); !ok {
				in.Probe = &r
			}
		}
		in.Others, in.Problems, in.NameShared = related(opts.Inventory, j.Server)
		reports[i] = Diagnose(in)
	}
	return reports
}

// related finds the client's other definitions of s's name, the file
// problems that name it, and whether another client uses the name too.
func related(inv *registry.Inventory, s registry.Server) (others []registry.Server, problems []registry.Problem, shared bool) {
	for _, o := range inv.Servers {
		switch {
		case o.Name != s.Name:
		case o.Client != s.Client:
			shared = true
		case o.File != s.File || o.Path != s.Path:
			others = append(others, o)
		}
	}
	for _, p := range inv.Problems {
		if p.Server == s.Name && p.Client == s.Client {
			problems = append(problems, p)
		}
	}
	return others, problems, shared
}
