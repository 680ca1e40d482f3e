package diagnose

import (
	"strings"
	"testing"
	"time"

	"github.com/mcpmend/mcpmend/cache"
)

// TestWhoseVerdict: when Claude Desktop's Code chat and the terminal CLI
// run different Claude Code versions and disagree, the finding says which
// one skips the server and which connects — and a transient 401 says which
// of them would remember it.
func TestWhoseVerdict(t *testing.T) {
	hdr := httpServer("srv", "Authorization")
	until := judgeNow.Add(14 * time.Minute)
	clients := []cache.ClientVerdict{
		{Who: "the terminal CLI (2.1.328)", Runner: "terminal", Version: "2.1.328", Action: cache.ActionDial, After401: "failed"},
		{Who: "Claude Desktop's Code chat (Claude Code 2.1.119)", Runner: "desktop", Version: "2.1.119", Action: cache.ActionSkip, Gates: []string{"A"}, Until: &until, After401: "needs-auth"},
	}
	st := state(hdr, nil, gateA(true))
	st.Session.Clients = clients
	r := Diagnose(Input{Server: hdr, State: st, Probe: okResult()})
	if len(r.Findings) == 0 || r.Findings[0].Code != CodeStaleNeedsAuth {
		t.Fatalf("findings %+v", r.Findings)
	}
	s := r.Findings[0].Summary
	if !strings.Contains(s, "Claude Desktop's Code chat (Claude Code 2.1.119) skips this server until") || !strings.Contains(s, "the terminal CLI (2.1.328) connects to it") {
		t.Errorf("summary does not say whose verdict is whose: %s", s)
	}

	r = Diagnose(Input{Server: hdr, State: st, NotProbed: "probing was turned off"})
	if s := r.Findings[0].Summary; r.Findings[0].Code != CodeSkippedByClient || !strings.HasPrefix(s, "Claude Desktop's Code chat (Claude Code 2.1.119) sends srv no request") {
		t.Errorf("skipped-by-client does not say who skips: %s", s)
	}

	ok := state(hdr, nil)
	ok.Session.Clients = []cache.ClientVerdict{clients[0], {Who: clients[1].Who, Action: cache.ActionDial, After401: "needs-auth"}}
	r = Diagnose(Input{Server: hdr, State: ok, Probe: okResult(`initialize first answered 401, then the session succeeded: …`)})
	if len(r.Findings) != 1 || r.Findings[0].Code != CodeTransientFailure {
		t.Fatalf("findings %+v", r.Findings)
	}
	s = r.Findings[0].Summary
	if !strings.Contains(s, "Claude Desktop's Code chat (Claude Code 2.1.119) would remember a 401") || !strings.Contains(s, "the terminal CLI (2.1.328) would report it failed") {
		t.Errorf("transient 401: %s", s)
	}
}
