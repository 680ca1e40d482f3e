package cache

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcpmend/mcpmend/cache/credentials"
	"github.com/mcpmend/mcpmend/cache/internal/storetest"
	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/internal/nodejson"
	"github.com/mcpmend/mcpmend/internal/testfs"
	"github.com/mcpmend/mcpmend/registry"
)

func TestSessionView(t *testing.T) {
	const cfg = `{"type":"http","url":"http://127.0.0.1:4131/mcp"}`
	day := 24 * time.Hour
	entry := func(extra string) string {
		return `{"serverName":"srv","accessToken":"","discoveryState":{"oauthMetadataFound":true` + extra + `}}`
	}
	tests := []struct {
		name            string
		cfg             string
		needsAuth, cred string // file contents, "" for no file
		mutate          func(*registry.Server)
		action          string
		gates           string
		until           time.Time
		reason          string
	}{
		{name: "nothing remembered", cfg: cfg, action: ActionDial, reason: "without a token"},
		{name: "gate A", cfg: cfg, needsAuth: fmt.Sprintf(`{"srv":{"timestamp":%d}}`, storetest.MsAgo(time.Minute)),
			action: ActionSkip, gates: "A", until: storetest.Now.Add(14 * time.Minute)},
		{name: "gate A expired", cfg: cfg, needsAuth: fmt.Sprintf(`{"srv":{"timestamp":%d}}`, storetest.MsAgo(time.Hour)), action: ActionDial},
		{name: "gate B", cfg: cfg, cred: entry(fmt.Sprintf(`,"tokenlessRejectedAt":%d`, storetest.MsAgo(day))),
			action: ActionSkip, gates: "B", until: storetest.Now.Add(6 * day)},
		{name: "gates A and B: until the later", cfg: cfg, needsAuth: fmt.Sprintf(`{"srv":{"timestamp":%d}}`, storetest.MsAgo(time.Minute)),
			cred: entry(fmt.Sprintf(`,"tokenlessRejectedAt":%d`, storetest.MsAgo(time.Minute))), action: ActionSkip, gates: "AB", until: storetest.Now.Add(7*day - time.Minute)},
		{name: "gates B and C", cfg: cfg, cred: entry(fmt.Sprintf(`,"tokenlessRejectedAt":%d,"registrationNotOfferedAt":%d`, storetest.MsAgo(time.Minute), storetest.MsAgo(time.Minute))),
			action: ActionSkip, gates: "BC", until: storetest.Now.Add(30*day - time.Minute)},
		{name: "headers exempt from B, not from A", cfg: `{"type":"http","url":"http://127.0.0.1:4131/mcp","headers":{"X":"1"}}`,
			needsAuth: fmt.Sprintf(`{"srv":{"timestamp":%d}}`, storetest.MsAgo(time.Minute)),
			cred:      entry(fmt.Sprintf(`,"tokenlessRejectedAt":%d`, storetest.MsAgo(time.Minute))), action: ActionSkip, gates: "A"},
		{name: "damaged cache, nothing else", cfg: cfg, needsAuth: `{"srv":`, action: ActionUnknown, reason: "damaged"},
		{name: "damaged cache but gate B", cfg: cfg, needsAuth: `{"srv":`, cred: entry(fmt.Sprintf(`,"tokenlessRejectedAt":%d`, storetest.MsAgo(time.Minute))),
			action: ActionSkip, gates: "B"},
		{name: "stdio never gated", cfg: `{"command":"node"}`, needsAuth: fmt.Sprintf(`{"srv":{"timestamp":%d}}`, storetest.MsAgo(time.Minute)),
			action: ActionDial, reason: "never held back"},
		{name: "disabled", cfg: cfg, needsAuth: fmt.Sprintf(`{"srv":{"timestamp":%d}}`, storetest.MsAgo(time.Minute)),
			mutate: func(s *registry.Server) { s.Disabled = true }, action: ActionNotLoaded},
		{name: "headers after a reset: no 'without a token'", cfg: `{"type":"http","url":"http://127.0.0.1:4131/mcp","headers":{"Authorization":"Bearer CANARY"}}`,
			action: ActionDial, reason: "with its configured headers"},
		{name: "usable token", cfg: cfg, cred: `{"accessToken":"CANARY","refreshToken":"CANARY"}`, action: ActionDial, reason: "with its stored token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			home := t.TempDir()
			srv := storetest.ClaudeServer(t, "srv", tt.cfg)
			if tt.mutate != nil {
				tt.mutate(&srv)
			}
			if tt.needsAuth != "" {
				testfs.WriteFile(t, filepath.Join(home, ".claude", "mcp-needs-auth-cache.json"), tt.needsAuth)
			}
			if tt.cred != "" {
				testfs.WriteFile(t, filepath.Join(home, ".claude", ".credentials.json"), `{"mcpOAuth":{`+nodejson.Quote(credentials.Key(srv))+`:`+tt.cred+`}}`)
			}
			st := NewInspector(storetest.Env(home), storetest.Now, nil).Inspect(context.Background(), srv)
			s := st.Session
			if s == nil {
				t.Fatal("no session view for a Claude Code server")
			}
			gates := ""
			for _, g := range s.Gates {
				gates += g.Gate
			}
			if s.Action != tt.action || gates != tt.gates || !strings.Contains(s.Reason, tt.reason) {
				t.Errorf("session = %+v (gates %q), want %s gates %q reason ~%q", s, gates, tt.action, tt.gates, tt.reason)
			}
			if !tt.until.IsZero() && (s.Until == nil || !s.Until.Equal(tt.until)) {
				t.Errorf("until = %v, want %v", s.Until, tt.until)
			}
			if strings.Contains(s.Reason, "CANARY") {
				t.Errorf("secret in reason: %s", s.Reason)
			}
			sum := st.Summary()
			if sum.Session != tt.action || strings.Join(sum.Gates, "") != tt.gates {
				t.Errorf("summary = %+v", sum)
			}
		})
	}
}

func TestSessionViewOtherClients(t *testing.T) {
	srv := storetest.ClaudeServer(t, "srv", `{"type":"http","url":"http://x"}`)
	srv.Client = registry.Cursor
	if s := SessionView(srv, nil, nil); s != nil {
		t.Errorf("Cursor server got a Claude Code session view: %+v", s)
	}
}

func TestSummaryText(t *testing.T) {
	until := storetest.Now.Add(time.Hour)
	s := Summary{Session: ActionSkip, Gates: []string{"A", "B"}, Until: &until, Tokens: "expired",
		Records: map[string]int{store.MCPRemote: 2, store.NeedsAuth: 1}, Damaged: []string{"/x/.credentials.json"}}
	want := "skip (gate A+B) until 2026-11-26T13:00:00Z; tokens expired; claude-code/needs-auth 1; mcp-remote 2; DAMAGED /x/.credentials.json"
	if got := s.Text(); got != want {
		t.Errorf("Text() = %q\nwant      %q", got, want)
	}
}
