package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/mcpmend/mcpmend/cache"
	"github.com/mcpmend/mcpmend/internal/inert"
	"github.com/mcpmend/mcpmend/registry"
)

// ListServersInput filters list_servers. Every field is optional.
type ListServersInput struct {
	Client  string `json:"client,omitempty" jsonschema:"only this client: claude-code, claude-desktop, cursor, vscode, windsurf, codex, gemini or zed"`
	Name    string `json:"name,omitempty" jsonschema:"only servers with exactly this name"`
	Project string `json:"project,omitempty" jsonschema:"only servers that apply in this project directory (absolute path): its local, project and workspace servers plus every user-level server"`
}

// ListServersOutput is every configured server that matched, and every
// problem found in the files read.
type ListServersOutput struct {
	Servers  []registry.Server  `json:"servers"`
	Problems []registry.Problem `json:"problems,omitempty"`
	// States is what each server's client remembers about it, keyed by
	// StateKey (client/scope/name, plus " (project)" for project scopes);
	// servers nothing is known about are absent.
	States map[string]cache.Summary `json:"states,omitempty"`
}

// ListServers discovers servers and applies the filters.
func ListServers(ctx context.Context, d *Deps, in ListServersInput) (*ListServersOutput, error) {
	if in.Client != "" && !validClient(in.Client) {
		return nil, fmt.Errorf("unknown client %q: use one of %s", in.Client, strings.Join(registry.Clients(), ", "))
	}
	env := d.Env
	if in.Project != "" {
		if !filepath.IsAbs(in.Project) {
			return nil, fmt.Errorf("project %q: give an absolute directory", in.Project)
		}
		env.CWD = in.Project
	}
	inv := registry.Discover(env)
	out := &ListServersOutput{Servers: inv.Servers} // unfiltered: shared, not copied (15,000 servers are 7 MB)
	if in.Client != "" || in.Name != "" || in.Project != "" {
		out.Servers = make([]registry.Server, 0, len(inv.Servers))
		for i := range inv.Servers {
			s := &inv.Servers[i]
			if in.Client != "" && s.Client != in.Client || in.Name != "" && s.Name != in.Name {
				continue
			}
			if in.Project != "" && s.Project != "" && filepath.Clean(s.Project) != filepath.Clean(in.Project) {
				continue
			}
			out.Servers = append(out.Servers, *s)
		}
	}
	for _, p := range inv.Problems {
		if in.Client == "" || p.Client == in.Client {
			out.Problems = append(out.Problems, p)
		}
	}
	out.States = summarize(ctx, d, env, inv.Servers, out.Servers)
	return out, nil
}

// AppendJSON appends o to dst exactly as json.Marshal encodes it, with the
// servers encoded on every core: 15,000 servers are 5 MB of JSON, and
// encoding them was the longest single step of `list --json` after
// discovery. An element of a slice encodes the same wherever it stands, so
// the parts are joined as they are.
func (o *ListServersOutput) AppendJSON(dst []byte) ([]byte, error) {
	const head = `{"servers":[]`
	workers := min(runtime.GOMAXPROCS(0), len(o.Servers)/256)
	if workers < 2 {
		b, err := json.Marshal(o)
		return append(dst, b...), err
	}
	rest := *o
	rest.Servers = []registry.Server{}
	tail, err := json.Marshal(&rest)
	if err != nil || !bytes.HasPrefix(tail, []byte(head)) {
		b, err := json.Marshal(o)
		return append(dst, b...), err
	}
	parts := make([][]byte, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*len(o.Servers)/workers, (w+1)*len(o.Servers)/workers
		wg.Go(func() { parts[w], errs[w] = json.Marshal(o.Servers[lo:hi]) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return dst, err
	}
	dst = append(dst, head[:len(head)-1]...)
	for w, p := range parts { // each part is [e,…]: its elements, comma-joined
		if w > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, p[1:len(p)-1]...)
	}
	return append(append(dst, ']'), tail[len(head):]...), nil
}

func validClient(c string) bool {
	for _, k := range registry.Clients() {
		if k == c {
			return true
		}
	}
	return false
}

// Text renders the result as a compact table, one server a line, grouped by
// client: what a model reads and what `mcpmend list` prints.
func (o *ListServersOutput) Text() string {
	var b strings.Builder
	if len(o.Servers) == 0 {
		b.WriteString("No MCP servers are configured")
		if len(o.Problems) == 0 {
			b.WriteString(".\n")
		} else {
			b.WriteString(" that could be read.\n")
		}
	}
	// One aligned table per client: name, transport, scope, then the
	// command or URL; state and problem lines start under that last column
	// (empty leading cells keep them inside the table's alignment).
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	client := ""
	for _, s := range o.Servers {
		if s.Client != client {
			client = s.Client
			fmt.Fprintf(tw, "%s:\n", client)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s", inert.Line(s.Name), s.Transport, scopeText(s), target(s))
		if st := status(s); st != "" {
			fmt.Fprintf(tw, "  [%s]", st)
		}
		fmt.Fprintln(tw)
		if sum, ok := o.States[StateKey(s)]; ok && sum.Notable() {
			fmt.Fprintf(tw, "  \t\t\tstate: %s\n", sum.Text())
		}
		for _, p := range s.Problems {
			fmt.Fprintf(tw, "  \t\t\tproblem: %s\n", inert.Line(p))
		}
	}
	tw.Flush()
	if len(o.Problems) > 0 {
		b.WriteString("Problems:\n")
		ps := append([]registry.Problem(nil), o.Problems...)
		sort.SliceStable(ps, func(i, j int) bool { return ps[i].File < ps[j].File })
		for _, p := range ps {
			b.WriteString("  " + inert.Line(ProblemText(p)) + "\n")
		}
	}
	return b.String()
}

// ProblemText renders a problem as "client file:line:col: message".
func ProblemText(p registry.Problem) string {
	loc := p.File
	if p.Line > 0 {
		loc = fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column)
	}
	if p.Server != "" {
		loc += " (" + p.Server + ")"
	}
	return fmt.Sprintf("%s %s: %s", p.Client, loc, p.Message)
}

func scopeText(s registry.Server) string {
	if s.Project != "" {
		return s.Scope + "(" + inert.Line(s.Project) + ")"
	}
	return s.Scope
}

func target(s registry.Server) string {
	if s.Transport == registry.Stdio {
		return inert.Line(strings.TrimSpace(s.Command + " " + strings.Join(s.Args, " ")))
	}
	return inert.Line(s.URL)
}

func status(s registry.Server) string {
	var parts []string
	if !s.Effective {
		if s.ShadowedBy != "" {
			parts = append(parts, "not used: "+s.ShadowedBy+" wins")
		} else {
			parts = append(parts, "not used")
		}
	}
	if s.Disabled {
		parts = append(parts, "disabled")
	}
	if s.Approval != "" && s.Approval != registry.Approved {
		parts = append(parts, s.Approval)
	}
	if s.Untrusted {
		parts = append(parts, "untrusted folder: never started by mcpmend")
	}
	return strings.Join(parts, ", ")
}
