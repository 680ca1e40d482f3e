package tools

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/mcpmend/mcpmend/cache"
	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/internal/inert"
	"github.com/mcpmend/mcpmend/registry"
)

// ServerStateInput names the server to inspect.
type ServerStateInput struct {
	Name   string `json:"name" jsonschema:"the server's name exactly as list_servers shows it (case-sensitive)"`
	Client string `json:"client,omitempty" jsonschema:"the client whose server it is, when several clients configure this name: claude-code, claude-desktop, cursor, vscode, windsurf, codex, gemini or zed"`
	Scope  string `json:"scope,omitempty" jsonschema:"the scope (user, local, project, …) when the client defines the name more than once; by default the effective definition"`
}

// ServerStateOutput is what the client remembers about the server and what
// its next session will do.
type ServerStateOutput struct {
	Server  registry.Server `json:"server"`
	Session *cache.Session  `json:"session,omitempty" jsonschema:"Claude Code only: whether the next session dials the server or skips it, the blocking gates and when each lapses"`
	Stores  []StoreRecords  `json:"stores" jsonschema:"what each store remembers about the server; empty when nothing"`
	Damage  []store.Damage  `json:"damage,omitempty" jsonschema:"stores that exist but cannot be read faithfully; never treated as empty"`
	// Evidence is the newest lines of the client's own log for the server.
	Evidence []store.Record `json:"evidence,omitempty" jsonschema:"the newest lines of Claude Code's MCP log for the server, redacted"`
	At       time.Time      `json:"at" jsonschema:"the time the stores were judged at"`
}

// StoreRecords is one store's records.
type StoreRecords struct {
	Store   string         `json:"store"`
	Records []store.Record `json:"records"`
}

// ServerState finds the server and asks every store about it.
func ServerState(ctx context.Context, d *Deps, in ServerStateInput) (*ServerStateOutput, error) {
	inv := registry.Discover(d.Env)
	srv, err := findServerOrConnector(ctx, d.Env, inv, in.Name, in.Client, in.Scope)
	if err != nil {
		return nil, err
	}
	now := d.now()
	st := cache.NewInspector(d.Env, now, inv.Servers).Inspect(ctx, srv)
	out := &ServerStateOutput{Server: srv, Session: st.Session, Stores: []StoreRecords{}, Damage: st.Damage, At: now.UTC()}
	for _, r := range st.Records {
		if r.Store == store.MCPLogs {
			out.Evidence = append(out.Evidence, r)
			continue
		}
		if n := len(out.Stores); n == 0 || out.Stores[n-1].Store != r.Store {
			out.Stores = append(out.Stores, StoreRecords{Store: r.Store})
		}
		out.Stores[len(out.Stores)-1].Records = append(out.Stores[len(out.Stores)-1].Records, r)
	}
	return out, nil
}

// Text renders the state for a model or a person: identity, the session's
// verdict, each store's records, damage, then the log evidence.
func (o *ServerStateOutput) Text() string { return o.render(forModel) }

// HumanText renders the state for a person: next steps are commands.
func (o *ServerStateOutput) HumanText() string { return o.render(forHuman) }

func (o *ServerStateOutput) render(au audience) string {
	var b strings.Builder
	s := o.Server
	if s.File == "" && s.Scope == ScopeConnector {
		fmt.Fprintf(&b, "%s  %s %s\n  %s\n", inert.Line(s.Name), s.Client, s.Scope, connectorNote)
	} else {
		fmt.Fprintf(&b, "%s  %s  %s %s  %s\n", inert.Line(s.Name), s.Transport, s.Client, scopeText(s), target(s))
		fmt.Fprintf(&b, "  defined in %s (%s)\n", inert.Line(s.File), inert.Line(s.Path))
	}
	if o.Session != nil {
		fmt.Fprintf(&b, "Next Claude Code session: %s", strings.ToUpper(o.Session.Action))
		if o.Session.Until != nil {
			fmt.Fprintf(&b, " until %s", o.Session.Until.UTC().Format(time.RFC3339))
		}
		fmt.Fprintf(&b, "\n  %s\n", o.Session.Reason)
	}
	if len(o.Stores) == 0 && len(o.Damage) == 0 {
		b.WriteString("No client store remembers anything about this server.\n")
	}
	for _, st := range o.Stores {
		fmt.Fprintf(&b, "%s:\n", st.Store)
		for _, r := range st.Records {
			mark := "inactive"
			if r.Active {
				mark = "ACTIVE"
			}
			fmt.Fprintf(&b, "  [%s] %s %s — %s\n", mark, r.Kind, inert.Line(r.Key), inert.Line(r.Detail))
			fmt.Fprintf(&b, "      in %s\n", inert.Line(r.File))
		}
	}
	for _, dm := range o.Damage {
		fmt.Fprintf(&b, "DAMAGED %s %s: %s\n", dm.Store, dm.File, dm.Reason)
	}
	if len(o.Evidence) > 0 {
		fmt.Fprintf(&b, "Newest MCP log lines (%s):\n", o.Evidence[0].File)
		for _, r := range o.Evidence {
			at := ""
			if r.Since != nil {
				at = r.Since.UTC().Format(time.RFC3339) + " "
			}
			fmt.Fprintf(&b, "  %s%s\n", at, inert.Line(r.Detail))
		}
	}
	if o.Session != nil && o.Session.Action == cache.ActionSkip {
		args := serverArgs(o.Server)
		fmt.Fprintf(&b, "Next: %s to confirm the server itself answers, then %s to clear the gates (journalled, can be undone).\n",
			au.call("diagnose", args), au.call("reset_server_auth", args))
	}
	return b.String()
}

// StateKey names a server in ListServersOutput.States: its ID, plus the
// project for scopes that belong to one.
func StateKey(s registry.Server) string {
	if s.Project != "" {
		return s.Client + "/" + s.Scope + "/" + s.Name + " (" + s.Project + ")" // one allocation: list makes 15,000
	}
	return s.ID()
}

// summarize condenses every listed server's state for list_servers,
// leaving out servers nothing is known about. Log evidence is left to
// server_state.
func summarize(ctx context.Context, d *Deps, env registry.Env, all, listed []registry.Server) map[string]cache.Summary {
	if len(listed) == 0 {
		return nil
	}
	in := cache.NewInspector(env, d.now(), all)
	stores := in.Stores[:0]
	for _, s := range in.Stores {
		if s.Name() != store.MCPLogs {
			stores = append(stores, s)
		}
	}
	in.Stores = stores
	sums := in.Summaries(ctx, listed)
	out := make(map[string]cache.Summary, len(listed))
	for i := range listed { // in order: of servers sharing a key, the last one says
		if !sums[i].IsZero() {
			out[StateKey(listed[i])] = sums[i]
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
