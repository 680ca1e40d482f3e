package cache

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mcpmend/mcpmend/registry"
)

// TestClientVerdictsMatchFixture judges the real 2.1.328's files (the
// claude-state fixture) with the per-version rules: an install of 2.1.328
// must reach what that session did at every server, and a 2.1.119 one
// (Claude Desktop 1.5354.0's Code chat) what 2.1.119's rules say of the
// same files — which differs exactly where the rules differ.
func TestClientVerdictsMatchFixture(t *testing.T) {
	fx, env := loadClaudeFixture(t)
	inv := registry.Discover(env)
	now := time.UnixMilli(fx.SessionAtMs)
	terminal := registry.ClaudeInstall{Runner: registry.RunnerTerminal, Version: "2.1.328", InUse: true}
	desktop := registry.ClaudeInstall{Runner: registry.RunnerDesktop, Version: "2.1.119", InUse: true}
	in := NewInspector(env, now, inv.Servers)
	in.Installs = []registry.ClaudeInstall{terminal, desktop}
	// What 2.1.119 does with 2.1.328's files: a future gate A timestamp blocks
	// (no lower bound), ttlMs is ignored, gate C does not exist.
	want119 := map[string]string{"fresh": "dial", "future-a": "skip", "hdr-a": "skip", "lapsed-a": "skip", "stuck-reg": "skip", "stuck-noreg": "skip"}
	for _, srv := range inv.Servers {
		want, ok := fx.Servers[srv.Name]
		if !ok || srv.Client != registry.ClaudeCode {
			continue
		}
		st := in.Inspect(context.Background(), srv)
		cl := st.Session.Clients
		if len(cl) != 2 {
			t.Fatalf("%s: clients %+v", srv.Name, cl)
		}
		if cl[0].Action != want.MCPMendAction || strings.Join(cl[0].Gates, "") != want.MCPMendGates {
			t.Errorf("%s: 2.1.328 by the table %s %v; the real session's verdict %s %q", srv.Name, cl[0].Action, cl[0].Gates, want.MCPMendAction, want.MCPMendGates)
		}
		if w, ok := want119[srv.Name]; ok && cl[1].Action != w {
			t.Errorf("%s: 2.1.119 %s, want %s", srv.Name, cl[1].Action, w)
		}
		if cl[0].Assumed != "" || cl[1].Assumed != "" {
			t.Errorf("%s: measured versions carry an assumption: %+v", srv.Name, cl)
		}
		if (st.Session.Action == ActionSkip) != (cl[0].Action == ActionSkip || cl[1].Action == ActionSkip) {
			t.Errorf("%s: session %s does not follow its clients %+v", srv.Name, st.Session.Action, cl)
		}
		if cl[0].Action != cl[1].Action && !strings.Contains(st.Session.Reason, "Claude Desktop's Code chat (Claude Code 2.1.119) skips this server") {
			t.Errorf("%s: reason does not say whose verdict is whose: %s", srv.Name, st.Session.Reason)
		}
	}
}

// TestClientVerdictsUnmeasured: a version between measured ones is judged
// by the nearest older measured rules and says so.
func TestClientVerdictsUnmeasured(t *testing.T) {
	fx, env := loadClaudeFixture(t)
	inv := registry.Discover(env)
	in := NewInspector(env, time.UnixMilli(fx.SessionAtMs), inv.Servers)
	in.Installs = []registry.ClaudeInstall{{Runner: registry.RunnerDesktop, Version: "2.1.128", InUse: true}}
	for _, srv := range inv.Servers {
		if srv.Name != "stuck-reg" || srv.Client != registry.ClaudeCode {
			continue
		}
		st := in.Inspect(context.Background(), srv)
		c := st.Session.Clients[0]
		if c.Action != ActionSkip || !c.NoTimeLimit || !strings.Contains(c.Assumed, "2.1.128 is not measured") || !strings.Contains(c.Assumed, "2.1.119") {
			t.Errorf("2.1.128: %+v", c)
		}
		if !strings.Contains(st.Session.Reason, "not measured") {
			t.Errorf("reason hides the assumption: %s", st.Session.Reason)
		}
	}
}

// TestClientsSentence: installs that connect are named together, each one
// that skips says until when, in the order found.
func TestClientsSentence(t *testing.T) {
	until := time.Date(2026, 12, 7, 14, 32, 0, 0, time.UTC)
	term := ClientVerdict{Who: "the terminal CLI (2.1.328)", Action: ActionDial}
	desk := ClientVerdict{Who: "Claude Desktop's Code chat (Claude Code 2.1.119)", Action: ActionDial}
	if got, want := ClientsSentence([]ClientVerdict{term, desk}), "the terminal CLI (2.1.328) and Claude Desktop's Code chat (Claude Code 2.1.119) connect to it"; got != want {
		t.Errorf("both connect: %q, want %q", got, want)
	}
	desk.Action, desk.Until = ActionSkip, &until
	got := ClientsSentence([]ClientVerdict{term, desk})
	if !strings.HasPrefix(got, "the terminal CLI (2.1.328) connects to it; Claude Desktop's Code chat (Claude Code 2.1.119) skips this server until ") {
		t.Errorf("they disagree: %q", got)
	}
	desk.Until, desk.NoTimeLimit = nil, true
	if got := ClientsSentence([]ClientVerdict{desk, term}); got != "Claude Desktop's Code chat (Claude Code 2.1.119) skips this server until its record is cleared (this version sets no time limit); the terminal CLI (2.1.328) connects to it" {
		t.Errorf("no time limit: %q", got)
	}
}
