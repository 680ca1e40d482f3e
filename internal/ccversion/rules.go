package ccversion

import (
	"strings"
	"time"
)

// Outcome is what a 401 does to a server in a session.
type Outcome string

// Outcomes of a 401 answered with OAuth metadata.
const (
	// NeedsAuth: the server is marked needs-auth and gate A is written (with
	// a tokenless mcpOAuth entry), so the next sessions skip it.
	NeedsAuth Outcome = "needs-auth"
	// Failed: the server is reported failed and nothing is written; the next
	// session dials it again.
	Failed Outcome = "failed"
)

// Behaviour is what one Claude Code version does with its memory of MCP
// servers. The zero value is no behaviour: use For.
type Behaviour struct {
	// GateALowerBound: a gate A timestamp more than 60 s in the future is
	// ignored. Without it a future timestamp blocks until 15 min after it.
	GateALowerBound bool
	// GateATTL: ttlMs (and the 4 h default for claude.ai connectors and
	// header-less plugin servers) is honoured; without it every entry
	// blocks for 15 min.
	GateATTL bool
	// GateBLimit is how long after tokenlessRejectedAt a tokenless entry
	// blocks a header-less server; 0 means with no time limit and without
	// needing the stamp at all.
	GateBLimit time.Duration
	// GateC: registrationNotOfferedAt blocks for 30 days.
	GateC bool
	// AuthHeader401, OtherHeader401 and NoHeader401 are what a 401 with
	// OAuth metadata does to a server configured with an Authorization
	// header, with other headers only, and with no headers.
	AuthHeader401, OtherHeader401, NoHeader401 Outcome
	// RemoveKeepsGateA: `claude mcp remove` leaves the gate A key.
	RemoveKeepsGateA bool
	// REPLClearsGateA: the interactive REPL deletes the whole needs-auth
	// cache when it starts.
	REPLClearsGateA bool
	// SuccessClearsGateA: a successful dial deletes the gate A key (both
	// delete the tokenless entry).
	SuccessClearsGateA bool
}

// Rule is one behaviour, with what each measured range of versions does.
type Rule struct {
	ID    string // stable name: "gate-b"
	About string // what the rule is about, for people
	// Verdict: the rule decides whether a session dials or skips a server,
	// or what a 401 leaves behind; the others describe Claude Code's own
	// cures and never change a verdict.
	Verdict  bool
	Variants []Variant
}

// Variant is a rule's behaviour over the versions where it was measured.
type Variant struct {
	From, To Version // measured range, inclusive
	Says     string  // the behaviour in a few words
	Evidence string  // how it was measured
	apply    func(*Behaviour)
}

func v(s string) Version { return MustParse(s) }

// Table is every rule, each with its measured versions.
var Table = []Rule{
	{ID: "gate-a", About: "gate A window (mcp-needs-auth-cache.json)", Verdict: true, Variants: []Variant{
		{From: v("2.1.119"), To: v("2.1.119"), Says: "15 min from the timestamp, no lower bound, ttlMs ignored",
			Evidence: "run and read at 2.1.119", apply: func(b *Behaviour) { b.GateALowerBound, b.GateATTL = false, false }},
		{From: v("2.1.150"), To: v("2.1.150"), Says: "15 min from the timestamp, no lower bound, ttlMs ignored",
			Evidence: "run at 2.1.150 (integration/claude_versions_test.go)", apply: func(b *Behaviour) { b.GateALowerBound, b.GateATTL = false, false }},
		{From: v("2.1.328"), To: v("2.1.328"), Says: "−60 s < age < ttlMs or 15 min (4 h for connectors)",
			Evidence: "run and read at 2.1.328", apply: func(b *Behaviour) { b.GateALowerBound, b.GateATTL = true, true }},
	}},
	{ID: "gate-b", About: "gate B (tokenless mcpOAuth entry, header-less servers)", Verdict: true, Variants: []Variant{
		{From: v("2.1.119"), To: v("2.1.119"), Says: "blocks with no time limit until the entry is deleted",
			Evidence: "run and read at 2.1.119", apply: func(b *Behaviour) { b.GateBLimit = 0 }},
		{From: v("2.1.150"), To: v("2.1.150"), Says: "blocks with no time limit until the entry is deleted (it writes no stamp)",
			Evidence: "run at 2.1.150 (integration/claude_versions_test.go)", apply: func(b *Behaviour) { b.GateBLimit = 0 }},
		{From: v("2.1.328"), To: v("2.1.328"), Says: "blocks for 7 days after tokenlessRejectedAt",
			Evidence: "run at 2.1.328", apply: func(b *Behaviour) { b.GateBLimit = 7 * 24 * time.Hour }},
	}},
	{ID: "gate-c", About: "gate C (registrationNotOfferedAt)", Verdict: true, Variants: []Variant{
		{From: v("2.1.119"), To: v("2.1.119"), Says: "does not exist",
			Evidence: "read at 2.1.119", apply: func(b *Behaviour) { b.GateC = false }},
		{From: v("2.1.328"), To: v("2.1.328"), Says: "blocks for 30 days",
			Evidence: "run at 2.1.328", apply: func(b *Behaviour) { b.GateC = true }},
	}},
	{ID: "auth-header-401", About: "a 401 with OAuth metadata to a server with an Authorization header", Verdict: true, Variants: []Variant{
		{From: v("2.1.119"), To: v("2.1.119"), Says: "needs-auth; gate A written on every failing dial",
			Evidence: "run at 2.1.119", apply: func(b *Behaviour) { b.AuthHeader401 = NeedsAuth }},
		{From: v("2.1.150"), To: v("2.1.156"), Says: "needs-auth; gate A written on every failing dial",
			Evidence: "run at 2.1.150, read in 2.1.150–2.1.156", apply: func(b *Behaviour) { b.AuthHeader401 = NeedsAuth }},
		{From: v("2.1.157"), To: v("2.1.337"), Says: "failed; nothing written",
			Evidence: "read from 2.1.157, run at 2.1.328 and 2.1.337", apply: func(b *Behaviour) { b.AuthHeader401 = Failed }},
	}},
	{ID: "other-header-401", About: "a 401 with OAuth metadata to a server with other headers (X-API-Key)", Verdict: true, Variants: []Variant{
		{From: v("2.1.119"), To: v("2.1.119"), Says: "needs-auth; gate A written",
			Evidence: "run at 2.1.119", apply: func(b *Behaviour) { b.OtherHeader401 = NeedsAuth }},
		{From: v("2.1.150"), To: v("2.1.150"), Says: "needs-auth; gate A written",
			Evidence: "run at 2.1.150", apply: func(b *Behaviour) { b.OtherHeader401 = NeedsAuth }},
		{From: v("2.1.328"), To: v("2.1.337"), Says: "needs-auth; gate A written",
			Evidence: "run at 2.1.328 and 2.1.337", apply: func(b *Behaviour) { b.OtherHeader401 = NeedsAuth }},
	}},
	{ID: "no-header-401", About: "a 401 with OAuth metadata to a header-less server", Verdict: true, Variants: []Variant{
		{From: v("2.1.119"), To: v("2.1.119"), Says: "needs-auth; gate A and a tokenless entry written",
			Evidence: "run at 2.1.119", apply: func(b *Behaviour) { b.NoHeader401 = NeedsAuth }},
		{From: v("2.1.150"), To: v("2.1.150"), Says: "needs-auth; gate A and a tokenless entry written",
			Evidence: "run at 2.1.150", apply: func(b *Behaviour) { b.NoHeader401 = NeedsAuth }},
		{From: v("2.1.328"), To: v("2.1.328"), Says: "needs-auth; gates A and B written",
			Evidence: "run at 2.1.328", apply: func(b *Behaviour) { b.NoHeader401 = NeedsAuth }},
	}},
	{ID: "remove", About: "`claude mcp remove`", Variants: []Variant{
		{From: v("2.1.119"), To: v("2.1.119"), Says: "keeps the gate A key",
			Evidence: "run at 2.1.119", apply: func(b *Behaviour) { b.RemoveKeepsGateA = true }},
		{From: v("2.1.328"), To: v("2.1.328"), Says: "deletes gate A and the mcpOAuth entry",
			Evidence: "run at 2.1.328", apply: func(b *Behaviour) { b.RemoveKeepsGateA = false }},
	}},
	{ID: "repl-start", About: "the interactive REPL starting", Variants: []Variant{
		{From: v("2.1.119"), To: v("2.1.119"), Says: "deletes the whole needs-auth cache",
			Evidence: "run and read at 2.1.119", apply: func(b *Behaviour) { b.REPLClearsGateA = true }},
		{From: v("2.1.328"), To: v("2.1.328"), Says: "keeps the needs-auth cache",
			Evidence: "run at 2.1.328", apply: func(b *Behaviour) { b.REPLClearsGateA = false }},
	}},
	{ID: "success", About: "a successful dial", Variants: []Variant{
		{From: v("2.1.119"), To: v("2.1.119"), Says: "deletes the tokenless entry, keeps the gate A key",
			Evidence: "run at 2.1.119", apply: func(b *Behaviour) { b.SuccessClearsGateA = false }},
		{From: v("2.1.328"), To: v("2.1.328"), Says: "deletes the tokenless entry and the gate A key",
			Evidence: "run at 2.1.328", apply: func(b *Behaviour) { b.SuccessClearsGateA = true }},
	}},
}

// Rules is the behaviour a verdict for one version assumes, with how sure
// it is.
type Rules struct {
	Version Version
	Behaviour
	// Measured is true when every rule that can change a verdict was
	// measured on a range holding Version (see Rule.Verdict).
	Measured bool
	// Basis says, per rule, which variant applies and whether it was measured.
	Basis []Basis
}

// Basis is one rule's resolution for a version.
type Basis struct {
	Rule     string
	Says     string
	Evidence string
	From, To Version // the measured range the behaviour comes from
	Measured bool
	verdict  bool
}

// matters reports whether a rule can change this version's verdicts: the
// verdict rules, except gate C where gate B has no time limit (both need a
// tokenless entry, and B then blocks whenever C could).
func (r Rules) matters(b Basis) bool {
	return b.verdict && !(b.Rule == "gate-c" && r.GateBLimit == 0)
}

// For resolves every rule for ver. A version inside a rule's measured range
// gets that behaviour, measured; one between measured ranges gets the
// nearest older one; one older than every measurement the oldest; an
// unknown version the newest. Those are assumptions, and say so.
func For(ver Version) Rules {
	r := Rules{Version: ver, Measured: ver.Known()}
	for _, rule := range Table {
		va, measured := pick(rule.Variants, ver)
		va.apply(&r.Behaviour)
		r.Basis = append(r.Basis, Basis{Rule: rule.ID, Says: va.Says, Evidence: va.Evidence, From: va.From, To: va.To, Measured: measured, verdict: rule.Verdict})
	}
	for _, b := range r.Basis {
		r.Measured = r.Measured && (b.Measured || !r.matters(b))
	}
	return r
}

// pick finds the variant for ver; Variants are ordered oldest first.
func pick(vs []Variant, ver Version) (Variant, bool) {
	if !ver.Known() {
		return vs[len(vs)-1], false
	}
	best := vs[0]
	for _, va := range vs {
		if ver.Compare(va.From) >= 0 && ver.Compare(va.To) <= 0 {
			return va, true
		}
		if ver.Compare(va.From) >= 0 {
			best = va
		}
	}
	return best, false
}

// Assumed says, when some rule was not measured at this version, what the
// verdict assumes instead; "" when everything was measured. It names the
// measured versions it borrows from, so a reader can tell how far off it is.
func (r Rules) Assumed() string {
	if r.Measured {
		return ""
	}
	var from []string
	seen := map[string]bool{}
	for _, b := range r.Basis {
		rng := b.From.String()
		if b.To != b.From {
			rng += "–" + b.To.String()
		}
		if !b.Measured && r.matters(b) && !seen[rng] {
			seen[rng] = true
			from = append(from, rng)
		}
	}
	who := "Claude Code " + r.Version.String()
	if !r.Version.Known() {
		who = "a Claude Code whose version could not be read"
	}
	return who + " is not measured: judged by the rules measured at " + strings.Join(from, " and ")
}
