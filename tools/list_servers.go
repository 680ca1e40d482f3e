package tools

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/mcpmend/mcpmend/cache"
	"github.com/mcpmend/mcpmend/internal/inert"
	"github.com/mcpmend/mcpmend/registry"
	"github.com/mcpmend/mcpmend/tools/jsonout"
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
	out, states, err := listServers(ctx, d, in)
	if err != nil {
		return nil, err
	}
	out.States = states()
	return out, nil
}

// WriteListServersJSON writes ListServers(ctx, d, in) to w as WriteJSON
// does, byte for byte (what `mcpmend list --json` prints). The states are
// summarised on another core while the servers are encoded: of 15,000
// servers each takes about 10 ms, which one after the other was a fifth
// of the whole command on a 100 MB ~/.claude.json.
func WriteListServersJSON(ctx context.Context, d *Deps, in ListServersInput, w io.Writer) error {
	out, states, err := listServers(ctx, d, in)
	if err != nil {
		return err
	}
	done := make(chan map[string]cache.Summary, 1)
	go func() { done <- states() }()
	return jsonout.WriteJSON(w, func(w *jsonout.Writer) {
		out.encodeWith(w, func() map[string]cache.Summary {
			out.States = <-done
			return out.States
		})
	})
}

// listServers is ListServers with the states left to summarise: states
// computes them (once; it reads the servers and nothing else of out).
func listServers(ctx context.Context, d *Deps, in ListServersInput) (out *ListServersOutput, states func() map[string]cache.Summary, err error) {
	if in.Client != "" && !validClient(in.Client) {
		return nil, nil, fmt.Errorf("unknown client %q: use one of %s", in.Client, strings.Join(registry.Clients(), ", "))
	}
	env := d.Env
	if in.Project != "" {
		if !filepath.IsAbs(in.Project) {
			return nil, nil, fmt.Errorf("project %q: give an absolute directory", in.Project)
		}
		env.CWD = in.Project
	}
	inv := registry.Discover(env)
	out = &ListServersOutput{Servers: inv.Servers} // unfiltered: shared, not copied (15,000 servers are 7 MB)
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
	listed := out.Servers
	return out, func() map[string]cache.Summary { return summarize(ctx, d, env, inv.Servers, listed) }, nil
}

// WriteJSON writes o to out exactly as a json.Encoder with SetIndent("",
// "  ") does (what `mcpmend list --json` prints), in chunks as it is
// encoded: 15,000 servers are 9.6 MB of output, never held whole.
// An error (encoding/json's: a time RFC 3339 cannot hold) ends the output
// at the last chunk written before it.
func (o *ListServersOutput) WriteJSON(out io.Writer) error {
	return jsonout.WriteJSON(out, o.encode)
}

// encode writes o field by field as its json tags say
// (TestListEncodeEveryField fails when a field is added here and not
// there). A long list's states are encoded on another core while the
// servers are (jsonout.PendingStates).
func (o *ListServersOutput) encode(w *jsonout.Writer) { o.encodeWith(w, nil) }

// encodeWith is encode with the states still being summarised: states
// (nil: o.States as it is) waits for them once the servers are written,
// and only then is the states' encoding split across two cores.
func (o *ListServersOutput) encodeWith(w *jsonout.Writer, states func() map[string]cache.Summary) {
	w.BeginObject()
	var pending *jsonout.PendingStates
	if states == nil && len(o.States) > 0 {
		pending = w.StartStates(o.States)
	}
	w.Key("servers")
	if o.Servers == nil {
		w.Null()
	} else {
		w.BeginArray()
		for i := range o.Servers {
			w.Elem()
			w.Server(&o.Servers[i])
		}
		w.EndArray()
	}
	if len(o.Problems) > 0 {
		w.Key("problems")
		w.BeginArray()
		for i := range o.Problems {
			w.Elem()
			w.Problem(&o.Problems[i])
		}
		w.EndArray()
	}
	if states != nil {
		if m := states(); len(m) > 0 {
			pending = w.StartStates(m)
		}
	}
	if pending != nil {
		w.Key("states")
		pending.Write(w)
	}
	w.EndObject()
}

func validClient(c string) bool {
	for _, k := range registry.Clients() {
		if k == c {
			return true
		}
	}
	return false
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
