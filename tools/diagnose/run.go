package diagnose

import (
	"context"
	"time"

	"github.com/mcpmend/mcpmend/cache"
	"github.com/mcpmend/mcpmend/internal/parallel"
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
		parallel.For(len(jobs), func(i int) { states[i] = in.Inspect(ctx, jobs[i].Server) })
	}()
	results := probe.ProbeAll(ctx, dial, opts.Probe, opts.Progress)
	<-inspected
	rel := indexRelated(opts.Inventory)
	resolver := probe.NewResolver(opts.Probe)
	reports := make([]Report, len(jobs))
	parallel.For(len(jobs), func(i int) {
		j := jobs[i]
		in := Input{Server: j.Server, State: states[i], NotProbed: j.NotProbed}
		if k, ok := slot[i]; ok {
			in.Probe = &results[k]
		} else if j.Resolve {
			if r, ok := resolver.Resolve(j.Server); !ok {
				in.Probe = &r
			}
		}
		in.Others, in.Problems, in.NameShared = rel.of(j.Server)
		reports[i] = Diagnose(in)
	})
	return reports
}

// relatedIndex groups the inventory by client and name once, so that each
// job finds its relatives without a pass over every server: the same name
// in thousands of projects stays linear.
type relatedIndex struct {
	groups   map[string]*relatives
	clients  map[string][]string // name → the clients that define it
	problems map[string][]registry.Problem
	inv      *registry.Inventory
}

// relatives are one client's definitions of one name: the first two
// effective ones (one besides any server itself) and every other one.
type relatives struct {
	effective []int
	rest      []int
}

func indexRelated(inv *registry.Inventory) *relatedIndex {
	r := &relatedIndex{groups: map[string]*relatives{}, clients: map[string][]string{}, problems: map[string][]registry.Problem{}, inv: inv}
	for i, s := range inv.Servers {
		k := s.Client + "\x00" + s.Name
		g := r.groups[k]
		if g == nil {
			g = &relatives{}
			r.groups[k] = g
			r.clients[s.Name] = append(r.clients[s.Name], s.Client)
		}
		switch {
		case !s.Effective || s.ShadowedBy != "":
			g.rest = append(g.rest, i)
		case len(g.effective) < 2:
			g.effective = append(g.effective, i)
		}
	}
	for _, p := range inv.Problems {
		k := p.Client + "\x00" + p.Server
		r.problems[k] = append(r.problems[k], p)
	}
	return r
}

// of finds the client's other definitions of s's name, the file problems
// that name it, and whether another client uses the name too. Of the other
// definitions, those not effective are all kept (the judgment lists the
// shadowed ones) and of the effective ones only one: what the judgment
// reads of them is whether there is one, and a name defined in every one
// of thousands of projects would otherwise hand each report thousands of
// copies.
func (r *relatedIndex) of(s registry.Server) (others []registry.Server, problems []registry.Problem, shared bool) {
	k := s.Client + "\x00" + s.Name
	if g := r.groups[k]; g != nil {
		for _, i := range g.effective {
			if o := &r.inv.Servers[i]; o.File != s.File || o.Path != s.Path {
				others = append(others, *o)
				break
			}
		}
		for _, i := range g.rest {
			if o := &r.inv.Servers[i]; o.File != s.File || o.Path != s.Path {
				others = append(others, *o)
			}
		}
	}
	for _, c := range r.clients[s.Name] {
		shared = shared || c != s.Client
	}
	return others, r.problems[k], shared
}
