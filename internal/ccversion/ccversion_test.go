package ccversion

import (
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	for in, want := range map[string]string{
		"2.1.119": "2.1.119", "v2.1.328": "2.1.328", "2.1.119 (Claude Code)": "2.1.119", "2.1.150-beta.2": "2.1.150",
	} {
		got, err := Parse(in)
		if err != nil || got.String() != want {
			t.Errorf("Parse(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "2.1", "2.1.x", "2.1.-1", "../../etc", "1.2.3.4", "2.1.1234567890"} {
		if v, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) = %v, want an error", bad, v)
		}
	}
	if MustParse("2.1.150").Compare(MustParse("2.1.99")) != 1 || MustParse("2.1.99").Compare(MustParse("2.2.0")) != -1 {
		t.Error("Compare is not numeric")
	}
}

// TestForMeasuredAndAssumed checks the resolution of the table at every
// kind of version: measured ones, between measured ones, outside, unknown.
func TestForMeasuredAndAssumed(t *testing.T) {
	cases := []struct {
		ver       string
		measured  bool
		auth401   Outcome
		gateBDays int
		gateC     bool
		assumed   string
	}{
		{"2.1.119", true, NeedsAuth, 0, false, ""},
		{"2.1.328", true, Failed, 7, true, ""},
		{"2.1.128", false, NeedsAuth, 0, false, "judged by the rules measured at 2.1.119"},
		{"2.1.150", true, NeedsAuth, 0, false, ""},
		{"2.1.157", false, Failed, 0, false, "judged by the rules measured at 2.1.150"},
		{"2.1.337", false, Failed, 7, true, "2.1.328"},
		{"2.1.100", false, NeedsAuth, 0, false, "2.1.119"},
		{"", false, Failed, 7, true, "version could not be read"},
	}
	for _, c := range cases {
		var ver Version
		if c.ver != "" {
			ver = MustParse(c.ver)
		}
		r := For(ver)
		if r.Measured != c.measured || r.AuthHeader401 != c.auth401 || r.GateBLimit != time.Duration(c.gateBDays)*24*time.Hour || r.GateC != c.gateC {
			t.Errorf("For(%s) = measured %v, auth-header 401 %s, gate B %s, gate C %v", c.ver, r.Measured, r.AuthHeader401, r.GateBLimit, r.GateC)
		}
		if a := r.Assumed(); (c.assumed == "") != (a == "") || !strings.Contains(a, c.assumed) {
			t.Errorf("For(%s).Assumed() = %q, want it to mention %q", c.ver, a, c.assumed)
		}
	}
	// Rules that never change a verdict (what `claude mcp remove` keeps) do
	// not make a version unmeasured; 2.1.150's were not run.
	for _, b := range For(MustParse("2.1.150")).Basis {
		if b.Rule == "remove" && b.Measured {
			t.Error("2.1.150's `claude mcp remove` was not measured")
		}
	}
	// The Authorization-header rule was measured over 2.1.150–2.1.156.
	for _, b := range For(MustParse("2.1.153")).Basis {
		if b.Rule == "auth-header-401" && !b.Measured {
			t.Error("2.1.153's Authorization-header rule is inside the measured 2.1.150–2.1.156 range")
		}
	}
}

func TestJudgeByVersion(t *testing.T) {
	now := time.Date(2026, 12, 6, 14, 17, 0, 0, time.UTC)
	old, new := For(MustParse("2.1.119")), For(MustParse("2.1.328"))
	at := func(d time.Duration) *time.Time { x := now.Add(d); return &x }
	headerless := Server{Gated: true}
	withHeader := Server{Gated: true, Headers: true, Authorization: true}

	cases := []struct {
		name      string
		srv       Server
		m         Memory
		old, new  string // actions
		oldForevr bool
	}{
		{"nothing stored", headerless, Memory{}, Dial, Dial, false},
		{"fresh gate A", withHeader, Memory{GateA: &GateAEntry{Timestamp: now.Add(-time.Minute)}}, Skip, Skip, false},
		{"future gate A", withHeader, Memory{GateA: &GateAEntry{Timestamp: now.Add(10 * time.Minute)}}, Skip, Dial, false},
		{"ttlMs 1", withHeader, Memory{GateA: &GateAEntry{Timestamp: now.Add(-time.Minute), TTL: time.Millisecond, HasTTL: true}}, Skip, Dial, false},
		{"tokenless, no stamp", headerless, Memory{OAuth: &OAuthEntry{MetadataFound: true}}, Skip, Dial, true},
		{"tokenless, stamp 8 days old", headerless, Memory{OAuth: &OAuthEntry{MetadataFound: true, TokenlessRejectedAt: at(-8 * 24 * time.Hour)}}, Skip, Dial, true},
		{"tokenless, fresh stamp", headerless, Memory{OAuth: &OAuthEntry{MetadataFound: true, TokenlessRejectedAt: at(-time.Hour)}}, Skip, Skip, true},
		{"tokenless but headers", withHeader, Memory{OAuth: &OAuthEntry{MetadataFound: true, TokenlessRejectedAt: at(-time.Hour)}}, Dial, Dial, false},
		{"gate C only", headerless, Memory{OAuth: &OAuthEntry{RegistrationNotOfferedAt: at(-time.Hour)}}, Dial, Dial, false},
		{"gate C", headerless, Memory{OAuth: &OAuthEntry{MetadataFound: true, TokenlessRejectedAt: at(-8 * 24 * time.Hour), RegistrationNotOfferedAt: at(-time.Hour)}}, Skip, Skip, true},
		{"tokens", headerless, Memory{OAuth: &OAuthEntry{Tokens: true, MetadataFound: true}}, Dial, Dial, false},
		{"stdio", Server{}, Memory{GateA: &GateAEntry{Timestamp: now}}, Dial, Dial, false},
	}
	for _, c := range cases {
		o, n := old.Judge(c.srv, c.m, now), new.Judge(c.srv, c.m, now)
		if o.Action != c.old || n.Action != c.new || o.Forever != c.oldForevr {
			t.Errorf("%s: 2.1.119 %s (forever %v), 2.1.328 %s; want %s (forever %v), %s", c.name, o.Action, o.Forever, n.Action, c.old, c.oldForevr, c.new)
		}
		if n.Forever {
			t.Errorf("%s: 2.1.328 never blocks forever", c.name)
		}
	}
	// A future gate A stamp in 2.1.119 blocks until 15 min after it.
	v := old.Judge(withHeader, Memory{GateA: &GateAEntry{Timestamp: now.Add(10 * time.Minute)}}, now)
	if v.Until == nil || !v.Until.Equal(now.Add(25*time.Minute)) {
		t.Errorf("2.1.119 future stamp until %v, want now+25m", v.Until)
	}
	if old.After401(withHeader) != NeedsAuth || new.After401(withHeader) != Failed || new.After401(Server{Gated: true, Headers: true}) != NeedsAuth {
		t.Error("After401 does not follow the table")
	}
}
