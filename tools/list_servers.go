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
func (o *ListServersOutput) encode(w *jsonout.Writer) {
	w.BeginObject()
	var states *jsonout.PendingStates
	if len(o.States) > 0 {
		states = w.StartStates(o.States)
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
		w.Key("states")
		states.Write(w)
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
