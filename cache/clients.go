package cache

import (
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/internal/ccversion"
	"github.com/mcpmend/mcpmend/registry"
)

// ClientVerdict is what one installed Claude Code's next session does with
// a server, judged by the rules of that version.
type ClientVerdict struct {
	// Who names the client for a sentence: "Claude Desktop's Code chat
	// (Claude Code 2.1.119)", "the terminal CLI (2.1.328)".
	Who     string     `json:"who"`
	Runner  string     `json:"runner"` // terminal or desktop
	Version string     `json:"version,omitempty"`
	Action  string     `json:"action"` // dial or skip
	Gates   []string   `json:"gates,omitempty"`
	Until   *time.Time `json:"until,omitempty"`
	// NoTimeLimit: a record blocks this version until it is deleted.
	NoTimeLimit bool `json:"no_time_limit,omitempty"`
	// After401 is what a 401 with OAuth metadata would do in this version:
	// "needs-auth" (sessions skip it afterwards) or "failed" (nothing kept).
	After401 string `json:"after_401,omitempty"`
	// Assumed is set when the version's rules were not all measured: which
	// measured versions the verdict borrows from.
	Assumed string `json:"assumed,omitempty"`
}

// claudeFacts is what ccversion needs to know of a server's configuration.
func claudeFacts(srv registry.Server) ccversion.Server {
	f := ccversion.Server{
		Gated:   store.GatedTransport(srv),
		Headers: store.HasHeaders(srv) || gjson.Get(srv.Raw.Entry, "oauth.xaa").Bool(),
		Plugin:  srv.Scope == store.ScopePlugin,
		LongTTL: srv.Scope == store.ScopeClaudeAI || srv.Scope == store.ScopePlugin && srv.Remote() && !store.HasHeaders(srv),
	}
	for _, h := range srv.Raw.Headers {
		f.Authorization = f.Authorization || strings.EqualFold(h.Name, "Authorization")
	}
	f.ClientID = srv.OAuth != nil && (srv.OAuth.ClientID != "" || srv.OAuth.AuthServerMetadataURL != "")
	return f
}

// memoryOf gathers the version-neutral facts the gate stores attached to
// their records, and which record each came from.
func memoryOf(recs []store.Record) (m ccversion.Memory, gateA, oauth *store.Record) {
	for i := range recs {
		r := &recs[i]
		if r.Facts == nil {
			continue
		}
		if r.Facts.GateA != nil {
			m.GateA, gateA = r.Facts.GateA, r
		}
		if r.Facts.OAuth != nil && oauth == nil {
			m.OAuth, oauth = r.Facts.OAuth, r
		}
	}
	return m, gateA, oauth
}

// ClientVerdicts judges srv for every Claude Code in use on the machine,
// one verdict per runner and version. It is nil when no install was found
// (the session view then stands alone, judged by the newest rules).
func ClientVerdicts(installs []registry.ClaudeInstall, srv registry.Server, recs []store.Record, now time.Time) []ClientVerdict {
	if srv.Client != registry.ClaudeCode {
		return nil
	}
	facts := claudeFacts(srv)
	mem, _, _ := memoryOf(recs)
	var out []ClientVerdict
	seen := map[string]bool{}
	for _, in := range installs {
		if !in.InUse || seen[in.Runner+" "+in.Version] {
			continue
		}
		seen[in.Runner+" "+in.Version] = true
		rules := ccversion.For(in.Parsed())
		v := rules.Judge(facts, mem, now)
		cv := ClientVerdict{Who: in.Who(), Runner: in.Runner, Version: in.Version, Action: v.Action, Until: v.Until,
			NoTimeLimit: v.Forever, Assumed: rules.Assumed()}
		for _, h := range v.Hits {
			cv.Gates = append(cv.Gates, h.Gate)
		}
		if facts.Gated {
			cv.After401 = string(rules.After401(facts))
		}
		out = append(out, cv)
	}
	return out
}

// applyClients makes the session view agree with the installed clients:
// it skips when any of them skips, with the gates that client's rules find,
// and its reason names whose verdict is whose.
func applyClients(s *Session, clients []ClientVerdict, recs []store.Record) {
	if s == nil || len(clients) == 0 || s.Action == ActionNotLoaded || s.Action == ActionUnknown {
		return
	}
	s.Clients = clients
	skipping := false
	for _, c := range clients {
		skipping = skipping || c.Action == ActionSkip
	}
	if !skipping {
		if s.Action == ActionSkip { // the newest rules alone would skip; no installed version does
			s.Action, s.Gates, s.Until = ActionDial, nil, nil
		}
		s.Reason = ClientsSentence(clients) + "."
		return
	}
	s.Action = ActionSkip
	_, gateA, oauth := memoryOf(recs)
	have := map[string]bool{}
	for _, g := range s.Gates {
		have[g.Gate] = true
	}
	s.Until = nil
	forever := false
	for _, c := range clients {
		if c.Action != ActionSkip {
			continue
		}
		forever = forever || c.NoTimeLimit
		if c.Until != nil && (s.Until == nil || c.Until.After(*s.Until)) {
			s.Until = c.Until
		}
		for _, g := range c.Gates {
			src := oauth
			if g == "A" {
				src = gateA
			}
			if have[g] || src == nil {
				continue
			}
			have[g] = true
			s.Gates = append(s.Gates, ActiveGate{Gate: g, Kind: gateKind(g), Store: src.Store, File: src.File, Key: src.Key, Since: src.Since})
		}
	}
	if forever {
		s.Until = nil
	}
	s.Reason = ClientsSentence(clients) + "; a skipped server gets no request and shows as needing authentication"
}

func gateKind(g string) string {
	switch g {
	case "A":
		return store.KindNeedsAuth
	case "B":
		return store.KindTokenlessRejection
	}
	return store.KindRegistrationNotOffered
}

// ClientsSentence says whose verdict is whose, in one sentence without a
// final period: "Claude Desktop's Code chat (Claude Code 2.1.119) skips
// this server until 14:32 UTC; the terminal CLI (2.1.328) connects to it".
// Versions whose rules were not measured say what was assumed.
func ClientsSentence(clients []ClientVerdict) string {
	var parts, notes, dial []string
	at := -1 // where the installs that connect are named, together
	for _, c := range clients {
		if c.Assumed != "" {
			notes = append(notes, c.Assumed)
		}
		if c.Action != ActionSkip {
			if at < 0 {
				at = len(parts)
				parts = append(parts, "")
			}
			dial = append(dial, c.Who)
			continue
		}
		p := c.Who + " skips this server"
		switch {
		case c.NoTimeLimit:
			p += " until its record is cleared (this version sets no time limit)"
		case c.Until != nil:
			p += " until " + clock(*c.Until)
		}
		parts = append(parts, p)
	}
	if at >= 0 {
		parts[at] = strings.Join(dial, " and ") + map[bool]string{true: " connects to it", false: " connect to it"}[len(dial) == 1]
	}
	s := strings.Join(parts, "; ")
	if len(notes) > 0 {
		s += " (" + strings.Join(notes, "; ") + ")"
	}
	return s
}

// clock prints a time for a sentence: "14:32 UTC" today, the date too
// otherwise.
func clock(t time.Time) string {
	t = t.UTC()
	if y, m, d := t.Date(); y == time.Now().UTC().Year() && m == time.Now().UTC().Month() && d == time.Now().UTC().Day() {
		return t.Format("15:04 UTC")
	}
	return t.Format("2006-01-02 15:04 UTC")
}
