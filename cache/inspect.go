package cache

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/mcpmend/mcpmend/cache/credentials"
	"github.com/mcpmend/mcpmend/cache/mcpremote"
	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/registry"
)

// State is everything the stores remember about one server, and what that
// means for its client's next session.
type State struct {
	Records []store.Record `json:"records"`
	Damage  []store.Damage `json:"damage,omitempty"`
	Session *Session       `json:"session,omitempty"` // Claude Code servers only
}

// Inspector runs stores over servers with one clock.
type Inspector struct {
	Env    registry.Env
	Now    time.Time
	Stores []store.Store
	// Installs are the Claude Codes on the machine: each one in use gets
	// its own verdict, judged by its version's rules.
	Installs []registry.ClaudeInstall
}

// NewInspector returns an Inspector with DefaultStores.
func NewInspector(env registry.Env, now time.Time, configured []registry.Server) *Inspector {
	return &Inspector{Env: env, Now: now, Stores: DefaultStores(configured), Installs: registry.ClaudeInstalls(env)}
}

// Inspect asks every store about srv. A store that fails adds Damage and the
// others still answer.
func (in *Inspector) Inspect(ctx context.Context, srv registry.Server) *State {
	st := &State{Records: []store.Record{}}
	for _, s := range in.Stores {
		if ctx.Err() != nil {
			st.Damage = append(st.Damage, store.Damage{Store: s.Name(), Reason: "not read: " + ctx.Err().Error()})
			continue
		}
		recs, err := s.Inspect(ctx, in.Env, srv, in.Now)
		st.Records = append(st.Records, recs...)
		st.Damage = append(st.Damage, damages(s.Name(), err)...)
	}
	st.Session = SessionView(srv, st.Records, st.Damage)
	applyClients(st.Session, ClientVerdicts(in.Installs, srv, st.Records, in.Now), st.Records)
	return st
}

// damages flattens a store's error into Damage entries: damaged stores with
// their reasons, and stores that could not be read at all.
func damages(storeName string, err error) []store.Damage {
	if err == nil {
		return nil
	}
	if multi, ok := err.(interface{ Unwrap() []error }); ok {
		var out []store.Damage
		for _, e := range multi.Unwrap() {
			out = append(out, damages(storeName, e)...)
		}
		return out
	}
	var de *store.DamagedError
	if errors.As(err, &de) {
		return []store.Damage{{Store: de.Store, File: de.File, Reason: de.Reason}}
	}
	return []store.Damage{{Store: storeName, Reason: "cannot be read: " + err.Error()}}
}

// Summary is a compact account of a State for server lists.
type Summary struct {
	Session string     `json:"session,omitempty"` // dial, skip, not-loaded or unknown (Claude Code servers)
	Gates   []string   `json:"gates,omitempty"`   // blocking gates: A, B, C
	Until   *time.Time `json:"until,omitempty"`   // when the last blocking gate lapses
	Tokens  string     `json:"tokens,omitempty"`  // usable or expired, when a store holds tokens
	// Records counts what each store remembers about the server (log lines
	// are evidence, not memory, and are left out).
	Records map[string]int `json:"records,omitempty"`
	Damaged []string       `json:"damaged,omitempty"` // files that are damaged or unreadable
}

// Summary condenses the state.
func (s *State) Summary() Summary {
	var sum Summary
	if s.Session != nil {
		sum.Session = s.Session.Action
		sum.Until = s.Session.Until
		for _, g := range s.Session.Gates {
			if len(sum.Gates) == 0 || sum.Gates[len(sum.Gates)-1] != g.Gate {
				sum.Gates = append(sum.Gates, g.Gate)
			}
		}
	}
	for _, r := range s.Records {
		if r.Store == store.MCPLogs {
			continue
		}
		if sum.Records == nil {
			sum.Records = map[string]int{}
		}
		sum.Records[r.Store]++
		if r.Kind == credentials.KindTokens || r.Kind == mcpremote.KindTokens {
			switch {
			case r.Active:
				sum.Tokens = "usable"
			case sum.Tokens == "":
				sum.Tokens = "expired"
			}
		}
	}
	for _, d := range s.Damage {
		name := d.File
		if name == "" {
			name = d.Store
		}
		sum.Damaged = append(sum.Damaged, name)
	}
	return sum
}

// IsZero reports whether the summary holds nothing at all: a server no
// store knows and no session view applies to.
func (s Summary) IsZero() bool {
	return s.Session == "" && len(s.Records) == 0 && len(s.Damaged) == 0 && s.Tokens == ""
}

// Notable reports whether the summary says more than "dial, nothing
// remembered": what a server list should show.
func (s Summary) Notable() bool {
	return s.Session == ActionSkip || s.Session == ActionUnknown || len(s.Records) > 0 || len(s.Damaged) > 0
}

// Text renders a summary in one short line, "" when there is nothing to say.
func (s Summary) Text() string {
	var parts []string
	if s.Session != "" {
		p := s.Session
		if len(s.Gates) > 0 {
			p += " (gate " + strings.Join(s.Gates, "+") + ")"
		}
		if s.Until != nil {
			p += " until " + s.Until.UTC().Format(time.RFC3339)
		}
		parts = append(parts, p)
	}
	if s.Tokens != "" {
		parts = append(parts, "tokens "+s.Tokens)
	}
	stores := make([]string, 0, len(s.Records))
	for k := range s.Records {
		stores = append(stores, k)
	}
	sort.Strings(stores)
	for _, k := range stores {
		parts = append(parts, fmt.Sprintf("%s %d", k, s.Records[k]))
	}
	if len(s.Damaged) > 0 {
		parts = append(parts, "DAMAGED "+strings.Join(s.Damaged, ", "))
	}
	return strings.Join(parts, "; ")
}
