package cache

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/mcpmend/mcpmend/cache/credentials"
	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/registry"
)

// Session actions: what Claude Code's next session does with a server.
const (
	ActionDial      = "dial"       // it connects (which may still fail, or answer 401)
	ActionSkip      = "skip"       // a gate is active: no request at all, status needs-auth
	ActionNotLoaded = "not-loaded" // disabled, unapproved, shadowed or an entry Claude Code skips
	ActionUnknown   = "unknown"    // a store it consults is damaged or unreadable
)

// Session is the next Claude Code session's view of one server, derived
// from the stores' records exactly as Claude Code judges its gates.
type Session struct {
	Action string       `json:"action"`
	Gates  []ActiveGate `json:"gates,omitempty"` // the gates that block, when skipping
	Until  *time.Time   `json:"until,omitempty"` // when the last blocking gate lapses
	Reason string       `json:"reason"`          // one sentence for a person or a model
	// Clients is each installed Claude Code's own verdict (Claude Desktop's
	// Code chat runs its own version, updated apart from the terminal CLI,
	// on the same files); absent when no install was found.
	Clients []ClientVerdict `json:"clients,omitempty"`
}

// ActiveGate is one gate that blocks the server now.
type ActiveGate struct {
	Gate  string     `json:"gate"` // A, B or C
	Kind  string     `json:"kind"`
	Store string     `json:"store"`
	File  string     `json:"file"`
	Key   string     `json:"key"`
	Since *time.Time `json:"since,omitempty"`
	Until *time.Time `json:"until,omitempty"`
}

var gateNames = map[string]string{"A": "its needs-auth cache entry", "B": "a stored sign-in attempt that got no token", "C": "a record that the server offers no client registration"}

// GateWords names a gate in plain words for a sentence: the letters A, B
// and C are mcpmend's shorthand (kept in the structured gates field), not
// words a user knows.
func GateWords(gate string) string {
	if w, ok := gateNames[gate]; ok {
		return w
	}
	return "gate " + gate
}

// gateStores are the stores Claude Code consults before dialling.
var gateStores = map[string]bool{store.NeedsAuth: true, store.Credentials: true, store.Keychain: true}

// SessionView says what the next Claude Code session does with srv given
// what the stores hold. It is nil for servers of other clients.
func SessionView(srv registry.Server, recs []store.Record, damage []store.Damage) *Session {
	if srv.Client != registry.ClaudeCode {
		return nil
	}
	if why := notLoaded(srv); why != "" {
		return &Session{Action: ActionNotLoaded, Reason: why}
	}
	if !store.GatedTransport(srv) {
		return &Session{Action: ActionDial, Reason: fmt.Sprintf("%s servers are never held back by what Claude Code remembers: every session starts or connects to it", srv.Transport)}
	}
	s := &Session{}
	for _, r := range recs {
		g := store.Gate(r.Kind)
		if g == "" || !r.Active {
			continue
		}
		s.Gates = append(s.Gates, ActiveGate{Gate: g, Kind: r.Kind, Store: r.Store, File: r.File, Key: r.Key, Since: r.Since, Until: r.Until})
		if r.Until != nil && (s.Until == nil || r.Until.After(*s.Until)) {
			s.Until = r.Until
		}
	}
	sort.SliceStable(s.Gates, func(i, j int) bool { return s.Gates[i].Gate < s.Gates[j].Gate })
	if len(s.Gates) > 0 {
		s.Action = ActionSkip
		s.Reason = skipReason(s)
		return s
	}
	for _, d := range damage {
		if gateStores[d.Store] {
			s.Action = ActionUnknown
			s.Reason = "no readable gate is active, but " + d.File + " is damaged (" + d.Reason + "), so what Claude Code decides cannot be told"
			return s
		}
	}
	s.Action = ActionDial
	s.Reason = "nothing Claude Code remembers blocks it: the next session connects to it" + tokenNote(srv, recs)
	return s
}

// notLoaded says why Claude Code does not load this definition at all.
func notLoaded(srv registry.Server) string {
	switch {
	case srv.Disabled:
		return "disabled for this project: sessions do not load it"
	case srv.Approval == registry.Pending:
		return "project server pending approval: sessions do not load it until it is approved"
	case srv.Approval == registry.Rejected:
		return "project server rejected: sessions do not load it"
	case !srv.Effective && srv.ShadowedBy != "":
		return "another definition of the name wins (" + srv.ShadowedBy + "): sessions use that one"
	case !srv.Effective:
		return "not the definition Claude Code uses: sessions do not load it"
	}
	return ""
}

func skipReason(s *Session) string {
	var parts []string
	for _, g := range s.Gates {
		p := GateWords(g.Gate)
		if g.Until != nil {
			p += " until " + g.Until.UTC().Format(time.RFC3339)
		}
		parts = append(parts, p)
	}
	return "Claude Code sends no request to this server and reports needs-auth because of " + strings.Join(parts, ", ") +
		"; it connects again once each has lapsed or been cleared"
}

// tokenNote tells what the dial carries: the configured headers, a stored
// token, or nothing (then a server that requires OAuth answers 401).
func tokenNote(srv registry.Server, recs []store.Record) string {
	if store.HasHeaders(srv) {
		return " with its configured headers"
	}
	for _, r := range recs {
		if r.Kind == credentials.KindTokens && (r.Store == store.Credentials || r.Store == store.Keychain) {
			if r.Active {
				return " with its stored token"
			}
			return ", but its stored token has expired without a refresh token, so a server that requires OAuth will ask for a new sign-in"
		}
	}
	return " without a token (a server that requires OAuth will answer 401, and Claude Code will remember that 401 again)"
}
