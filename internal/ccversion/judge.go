package ccversion

import (
	"fmt"
	"time"
)

// Server is what the rules need to know about a server's configuration.
type Server struct {
	Gated         bool // http or sse: the only transports the gates apply to
	Headers       bool // headers, a headersHelper or oauth.xaa configured: exempt from gates B and C
	Authorization bool // headers.Authorization configured
	LongTTL       bool // a claude.ai connector or a header-less plugin server: 4 h default for gate A
	Plugin        bool // from a plugin: an id in its gate A entry makes the entry ignored
	ClientID      bool // oauth.clientId or oauth.authServerMetadataUrl configured: exempt from gate C
}

// Memory is what Claude Code has filed under one server, version-neutral:
// the raw fields, not any version's verdict on them.
type Memory struct {
	GateA *GateAEntry // the needs-auth cache entry under the name, nil when absent
	OAuth *OAuthEntry // the mcpOAuth entry under the server's current key, nil when absent
}

// GateAEntry is one needs-auth cache entry as written.
type GateAEntry struct {
	Timestamp time.Time
	TTL       time.Duration // ttlMs; meaningful when HasTTL
	HasTTL    bool
	HasID     bool
	Malformed bool // Claude Code ignores the entry
}

// OAuthEntry is the parts of an mcpOAuth entry the gates read.
type OAuthEntry struct {
	Tokens        bool // an access or refresh token is stored
	MetadataFound bool // discoveryState.oauthMetadataFound
	ClientID      bool // a registered clientId
	// TokenlessRejectedAt and RegistrationNotOfferedAt are the stamps; nil
	// when absent or not a number (then they never block).
	TokenlessRejectedAt, RegistrationNotOfferedAt *time.Time
}

// Hit is one gate that blocks the server.
type Hit struct {
	Gate  string     // A, B or C
	Until *time.Time // when it lapses; nil when it never does by itself
	Why   string
}

// Actions of a Verdict.
const (
	Dial = "dial"
	Skip = "skip"
)

// Verdict is what the next session of a version does with a server.
type Verdict struct {
	Action string // Dial or Skip
	Hits   []Hit  // the blocking gates, when skipping
	// Until is when the server is dialled again by itself; nil when dialling
	// or when some gate never lapses (then Forever is set).
	Until   *time.Time
	Forever bool
}

// Gate windows as measured.
const (
	gateATTL     = 15 * time.Minute
	gateALongTTL = 4 * time.Hour
	gateCLimit   = 30 * 24 * time.Hour
	skew         = 60 * time.Second
)

// Judge says what the next session of r's version does with srv given m.
func (r Rules) Judge(srv Server, m Memory, now time.Time) Verdict {
	var out Verdict
	if srv.Gated {
		for _, h := range []*Hit{r.gateA(srv, m.GateA, now), r.gateB(srv, m.OAuth, now), r.gateC(srv, m.OAuth, now)} {
			if h != nil {
				out.Hits = append(out.Hits, *h)
			}
		}
	}
	if len(out.Hits) == 0 {
		out.Action = Dial
		return out
	}
	out.Action = Skip
	for _, h := range out.Hits {
		switch {
		case h.Until == nil:
			out.Forever = true
		case out.Until == nil || h.Until.After(*out.Until):
			out.Until = h.Until
		}
	}
	if out.Forever {
		out.Until = nil
	}
	return out
}

func (r Rules) gateA(srv Server, e *GateAEntry, now time.Time) *Hit {
	if e == nil || e.Malformed || srv.Plugin && e.HasID {
		return nil
	}
	ttl := gateATTL
	if r.GateATTL {
		switch {
		case e.HasTTL:
			ttl = e.TTL
		case srv.LongTTL:
			ttl = gateALongTTL
		}
	}
	age := now.Sub(e.Timestamp)
	if age >= ttl || r.GateALowerBound && age <= -skew {
		return nil
	}
	until := e.Timestamp.Add(ttl)
	return &Hit{Gate: "A", Until: &until, Why: fmt.Sprintf("a needs-auth entry written at %s blocks for %s", e.Timestamp.UTC().Format(time.RFC3339), ttl)}
}

// tokenless is the precondition of gates B and C.
func tokenless(srv Server, e *OAuthEntry) bool {
	return e != nil && !srv.Headers && !e.Tokens && e.MetadataFound
}

func (r Rules) gateB(srv Server, e *OAuthEntry, now time.Time) *Hit {
	if !tokenless(srv, e) {
		return nil
	}
	if r.GateBLimit == 0 {
		return &Hit{Gate: "B", Why: "a stored sign-in attempt without a token blocks with no time limit in this version, until the entry is deleted"}
	}
	if !stampLive(e.TokenlessRejectedAt, r.GateBLimit, now) {
		return nil
	}
	until := e.TokenlessRejectedAt.Add(r.GateBLimit)
	return &Hit{Gate: "B", Until: &until, Why: "a 401 to a request without a token is remembered for 7 days"}
}

func (r Rules) gateC(srv Server, e *OAuthEntry, now time.Time) *Hit {
	if !r.GateC || !tokenless(srv, e) || e.ClientID || srv.ClientID || e.RegistrationNotOfferedAt == nil || e.RegistrationNotOfferedAt.Before(time.UnixMilli(0)) {
		return nil
	}
	if !stampLive(e.RegistrationNotOfferedAt, gateCLimit, now) {
		return nil
	}
	until := e.RegistrationNotOfferedAt.Add(gateCLimit)
	return &Hit{Gate: "C", Until: &until, Why: "the sign-in server offered no client registration; remembered for 30 days"}
}

// stampLive is the stamp window gates B and C share: −60 s < age ≤ limit.
func stampLive(t *time.Time, limit time.Duration, now time.Time) bool {
	if t == nil {
		return false
	}
	age := now.Sub(*t)
	return age > -skew && age <= limit
}

// After401 is what this version does when srv answers 401 with OAuth
// metadata: needs-auth (and the gates written) or failed.
func (r Rules) After401(srv Server) Outcome {
	switch {
	case srv.Authorization:
		return r.AuthHeader401
	case srv.Headers:
		return r.OtherHeader401
	}
	return r.NoHeader401
}
