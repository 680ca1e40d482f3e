package diagnose

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/mcpmend/mcpmend/cache"
	"github.com/mcpmend/mcpmend/cache/credentials"
	"github.com/mcpmend/mcpmend/cache/mcplogs"
	"github.com/mcpmend/mcpmend/cache/mcpremote"
	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/registry"
	"github.com/mcpmend/mcpmend/tools/probe"
)

const judgeCanary = "CANARY-judge-9f3b"

var judgeNow = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// httpServer is a Claude Code user-scope http server as the registry
// reports it.
func httpServer(name string, headers ...string) registry.Server {
	s := registry.Server{Name: name, Client: registry.ClaudeCode, Scope: "user", File: "/home/u/.claude.json", Path: "mcpServers." + name,
		Transport: registry.HTTP, URL: "https://" + name + ".example/mcp", Effective: true}
	s.Raw.URL = registry.Secret(s.URL)
	for _, h := range headers {
		s.HeaderNames = append(s.HeaderNames, h)
		s.Raw.Headers = append(s.Raw.Headers, registry.Header{Name: h, Value: registry.Secret("Bearer " + judgeCanary)})
	}
	return s
}

func stdioServer(name, command string) registry.Server {
	return registry.Server{Name: name, Client: registry.ClaudeCode, Scope: "user", File: "/home/u/.claude.json", Path: "mcpServers." + name,
		Transport: registry.Stdio, Command: command, Effective: true,
		Raw: registry.Raw{Env: []registry.EnvVar{{Name: "API_KEY", Value: judgeCanary}}}}
}

// Records as the stores report them.
func gateA(active bool) store.Record {
	until := judgeNow.Add(10 * time.Minute)
	return store.Record{Store: store.NeedsAuth, File: "/home/u/.claude/mcp-needs-auth-cache.json", Key: "srv", Kind: store.KindNeedsAuth,
		Active: active, Until: &until, Resettable: true}
}

func gateB() store.Record {
	until := judgeNow.Add(6 * 24 * time.Hour)
	return store.Record{Store: store.Credentials, File: "/home/u/.claude/.credentials.json", Key: "srv|0123456789abcdef",
		Kind: store.KindTokenlessRejection, Active: true, Until: &until, Resettable: true}
}

func tokens(usable bool) store.Record {
	return store.Record{Store: store.Credentials, File: "/home/u/.claude/.credentials.json", Key: "srv|0123456789abcdef",
		Kind: credentials.KindTokens, Active: usable, Detail: "access token", Resettable: true}
}

func logSkip() store.Record {
	return store.Record{Store: store.MCPLogs, File: "/home/u/.cache/x.jsonl", Kind: mcplogs.KindLogSkip, Detail: "Skipping connection (cached needs-auth)"}
}

// state is what an Inspector would return for these records: the session
// view is computed by cache's own judgment.
func state(s registry.Server, damage []store.Damage, recs ...store.Record) *cache.State {
	return &cache.State{Records: recs, Damage: damage, Session: cache.SessionView(s, recs, damage)}
}

// Probe results with the shapes probe.Probe returns.
func okResult(notes ...string) *probe.Result {
	return &probe.Result{Verdict: probe.OK, DurationMS: 12, Notes: notes,
		Server: &probe.ServerInfo{Name: "target", Version: "2.0.0", ProtocolVersion: "2025-11-25", ToolCount: 3}}
}

func authRequired(found, dcr bool) *probe.Result {
	return &probe.Result{Verdict: probe.AuthRequired, Phase: probe.PhaseHandshake, Summary: "POST /mcp answered 401: the server needs authentication and none is configured",
		Auth: &probe.AuthEvidence{Status: 401, OAuth: &probe.OAuthDiscovery{Found: found, DynamicRegistration: dcr, Issuer: "https://auth.example"}}}
}

func rejected() *probe.Result {
	return &probe.Result{Verdict: probe.AuthRejected, Phase: probe.PhaseHandshake,
		Summary: "POST /mcp answered 401 although a credential was sent (headers Authorization): the server refused this credential",
		Auth:    &probe.AuthEvidence{Status: 401, CredentialsSent: true, HeadersSent: []string{"Authorization"}, Error: "invalid_token"}}
}

func failedResult(v probe.Verdict, summary string) *probe.Result {
	return &probe.Result{Verdict: v, Phase: probe.PhaseConnect, Summary: summary}
}

func TestJudge(t *testing.T) {
	plain, hdr := httpServer("srv"), httpServer("srv", "Authorization")
	tool := stdioServer("tool", "no-such-binary")
	exit3 := 3
	crashed := failedResult(probe.Crashed, "the process exited with code 3 during handshake")
	crashed.Process = &probe.ProcessEvidence{ExitCode: &exit3, StderrTail: "starting\nfatal: config missing\n"}
	pending := stdioServer("proj", "node")
	pending.Scope, pending.Project, pending.Approval, pending.Effective, pending.File = "project", "/work/p", registry.Pending, false, "/work/p/.mcp.json"
	untrusted := stdioServer("ws", "sh")
	untrusted.Client, untrusted.Scope, untrusted.Project, untrusted.File = registry.VSCode, "workspace", "/work/p", "/work/p/.vscode/mcp.json"
	untrusted.Untrusted, untrusted.TrustHint = true, "VS Code runs workspace servers only in a trusted workspace"
	disabled := plain
	disabled.Disabled, disabled.Project, disabled.Scope = true, "/work/p", "local"
	shadowed := plain
	shadowed.Effective, shadowed.ShadowedBy = false, "local /home/u/.claude.json"
	desktopURL := plain
	desktopURL.Client, desktopURL.Effective, desktopURL.Problems = registry.ClaudeDesktop, false, []string{"Claude Desktop skips remote entries; use Settings → Connectors"}
	cursor := plain
	cursor.Client = registry.Cursor
	remote := stdioServer("bridge", "npx")
	mcpRemoteRecs := []store.Record{{Store: store.MCPRemote, File: "/home/u/.mcp-auth/mcp-remote-v1/abc_client_info.json", Kind: mcpremote.KindClient, Detail: "dynamic registration", Resettable: true}}
	orphan := store.Record{Store: store.Credentials, File: "/home/u/.claude/.credentials.json", Key: "srv|ffffffffffffffff", Kind: credentials.KindOrphanedOAuth, Resettable: true, Detail: "earlier url"}
	damaged := []store.Damage{{Store: store.NeedsAuth, File: "/home/u/.claude/mcp-needs-auth-cache.json", Reason: "unexpected end of JSON input"}}
	leak := okResult()
	leak.Summary = "echo " + judgeCanary
	bridgeAuth := failedResult(probe.AuthRequired, "needs OAuth sign-in: http://127.0.0.1:9/mcp answers 401 and mcp-remote holds no token for it")
	bridgeAuth.Transport, bridgeAuth.Bridge = registry.Stdio, &probe.BridgeEvidence{Kind: "mcp-remote", URL: "http://127.0.0.1:9/mcp", Token: "none"}
	slowStart := failedResult(probe.Timeout, "the server did not finish starting within 30s")
	slowStart.Transport, slowStart.Phase, slowStart.TimeoutMS, slowStart.TimeoutSource = registry.Stdio, probe.PhaseHandshake, 30000, "Claude Code's default (MCP_TIMEOUT unset)"
	noisy := okResult()
	noisy.Process = &probe.ProcessEvidence{StdoutNoiseLines: 2, StdoutNoise: []string{"Starting…", "ready"}}

	tests := []struct {
		name      string
		in        Input
		codes     string // the findings' codes, in order
		status    string
		nextTool  string // the first finding's next tool ("" for a user step)
		nextHas   string // ... and its step or command contains this
		noReset   bool   // no finding may suggest reset_server_auth
		verdictHa string
	}{
		{name: "healthy and dialled", in: Input{Server: plain, State: state(plain, nil), Probe: okResult()},
			codes: "", status: StatusOK, verdictHa: "healthy: answers (target 2.0.0"},
		{name: "healthy but skipped: stale", in: Input{Server: plain, State: state(plain, nil, gateA(true), gateB(), logSkip()), Probe: okResult()},
			codes: "stale-needs-auth", status: "error", nextTool: "reset_server_auth", nextHas: "mcpmend reset srv", verdictHa: "client's memory is stale"},
		{name: "skipped and really needs a login", in: Input{Server: plain, State: state(plain, nil, gateA(true), gateB()), Probe: authRequired(true, true)},
			codes: "server-auth-required", status: "error", nextHas: "claude mcp login srv", noReset: true, verdictHa: "clearing it alone would not help"},
		{name: "401 without OAuth metadata", in: Input{Server: plain, State: state(plain, nil), Probe: authRequired(false, false)},
			codes: "server-auth-required", status: "error", nextHas: "headers", noReset: true},
		{name: "401, OAuth without registration", in: Input{Server: plain, State: state(plain, nil), Probe: authRequired(true, false)},
			codes: "server-auth-required", status: "error", nextHas: "oauth.clientId", noReset: true},
		{name: "401 to the probe, usable token stored", in: Input{Server: plain, State: state(plain, nil, tokens(true)), Probe: authRequired(true, true)},
			codes: "oauth-token-stored", status: StatusOK, verdictHa: "holds a usable token"},
		{name: "skipped although a usable token is stored", in: Input{Server: plain, State: state(plain, nil, gateA(true), tokens(true)), Probe: authRequired(true, true)},
			codes: "skipped-with-token", status: "error", nextTool: "reset_server_auth", nextHas: "claude mcp login"},
		{name: "expired token", in: Input{Server: plain, State: state(plain, nil, tokens(false)), Probe: authRequired(true, true)},
			codes: "oauth-token-expired", status: "error", nextHas: "claude mcp login", noReset: true},
		{name: "rejected header, gate A too", in: Input{Server: hdr, State: state(hdr, nil, gateA(true)), Probe: rejected()},
			codes: "credential-rejected", status: "error", nextHas: "replace the credential", verdictHa: "refuses the credential"},
		{name: "rejected header", in: Input{Server: hdr, State: state(hdr, nil), Probe: rejected()},
			codes: "credential-rejected", status: "error", nextHas: "headers", noReset: true},
		{name: "unreachable while gated", in: Input{Server: plain, State: state(plain, nil, gateA(true)), Probe: failedResult(probe.Unreachable, "connection refused: nothing listens at that address")},
			codes: "unreachable needs-auth-cached", status: "error", nextHas: "start the server", noReset: true},
		{name: "missing command", in: Input{Server: tool, State: state(tool, nil), Probe: failedResult(probe.CommandNotFound, `"no-such-binary" was not found on the PATH the client passes to it`)},
			codes: "command-not-found", status: "error", nextHas: "install no-such-binary", noReset: true},
		{name: "crash", in: Input{Server: tool, State: state(tool, nil), Probe: crashed},
			codes: "crashed", status: "error", nextHas: "run the command yourself"},
		{name: "gated, not dialled", in: Input{Server: plain, State: state(plain, nil, gateB()), NotProbed: "skip_probe was set"},
			codes: "skipped-by-client", status: "error", nextTool: "diagnose_server"},
		{name: "not dialled, nothing remembered", in: Input{Server: plain, State: state(plain, nil), NotProbed: "skip_probe was set"},
			codes: "not-probed", status: StatusOK, verdictHa: "no problem found without dialling it"},
		{name: "untrusted workspace", in: Input{Server: untrusted, State: state(untrusted, nil), NotProbed: "its client does not trust this folder"},
			codes: "untrusted-folder not-probed", status: "warning", nextHas: "only if the user trusts this repository: VS Code runs"},
		{name: "pending approval", in: Input{Server: pending, State: state(pending, nil), NotProbed: "not approved"},
			codes: "pending-approval not-probed", status: "warning", nextHas: "enabledMcpjsonServers"},
		{name: "disabled", in: Input{Server: disabled, State: state(disabled, nil, gateA(true)), NotProbed: "disabled"},
			codes: "disabled not-probed", status: StatusOK, nextHas: "Enable", verdictHa: "is disabled in Claude Code"},
		{name: "shadowed definition", in: Input{Server: shadowed, State: state(shadowed, nil), Probe: okResult()},
			codes: "shadowed", status: "warning", nextTool: "diagnose_server"},
		{name: "effective one shadows others", in: Input{Server: plain, State: state(plain, nil), Probe: okResult(), Others: []registry.Server{shadowed}},
			codes: "shadows", status: StatusOK},
		{name: "Desktop ignores a url entry", in: Input{Server: desktopURL, NotProbed: "not loaded"},
			codes: "config-ignored not-probed", status: "warning", nextHas: "Connectors"}, // Desktop skips it quietly: not an error
		{name: "damaged gate store", in: Input{Server: plain, State: state(plain, damaged), Probe: okResult()},
			codes: "store-damaged", status: "error", nextHas: "mcp-needs-auth-cache.json"},
		{name: "orphaned credentials", in: Input{Server: plain, State: state(plain, nil, orphan), Probe: okResult()},
			codes: "orphaned-credentials", status: StatusOK},
		{name: "mcp-remote registration while timing out", in: Input{Server: remote, State: state(remote, nil, mcpRemoteRecs...), Probe: failedResult(probe.Timeout, "no answer within 15s: timed out in handshake")},
			codes: "timeout mcp-remote-state", status: "error", nextTool: "diagnose_server"},
		{name: "mcp-remote remote needs a sign-in: sign in, never reset", in: Input{Server: remote, State: state(remote, nil, mcpRemoteRecs...), Probe: bridgeAuth},
			codes: "bridge-sign-in", status: "error", nextHas: "mcp-remote then opens the browser", noReset: true},
		{name: "stdio server slow to start", in: Input{Server: tool, Probe: slowStart},
			codes: "timeout", status: "error", nextTool: "diagnose_server", nextHas: "did not finish starting within 30.0s", noReset: true},
		{name: "logs on stdout", in: Input{Server: tool, Probe: noisy},
			codes: "stdout-noise", status: StatusOK},
		{name: "name shared by two clients", in: Input{Server: plain, State: state(plain, nil, gateA(true)), Probe: okResult(), NameShared: true},
			codes: "stale-needs-auth", status: "error", nextTool: "reset_server_auth", nextHas: "mcpmend reset srv --client claude-code"},
		{name: "Cursor server asks for a sign-in", in: Input{Server: cursor, Probe: authRequired(true, true)},
			codes: "server-auth-required", status: "warning", nextHas: "from Cursor", noReset: true},
		{name: "transient 401 on the way", in: Input{Server: plain, State: state(plain, nil), Probe: okResult(`initialize first answered 401, then the session succeeded: …`)},
			codes: "transient-failure", status: StatusOK},
		{name: "a secret echoed into a summary is scrubbed", in: Input{Server: hdr, State: state(hdr, nil, gateA(true)), Probe: leak},
			codes: "stale-needs-auth", status: "error", nextTool: "reset_server_auth"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Diagnose(tt.in)
			var codes []string
			for _, f := range r.Findings {
				codes = append(codes, f.Code)
			}
			if got := strings.Join(codes, " "); got != tt.codes {
				t.Errorf("codes = %q, want %q", got, tt.codes)
			}
			if r.Status != tt.status {
				t.Errorf("status = %s, want %s", r.Status, tt.status)
			}
			if !strings.Contains(r.Verdict, tt.verdictHa) || strings.Contains(r.Verdict, "\n") || r.Verdict == "" {
				t.Errorf("verdict = %q, want one line containing %q", r.Verdict, tt.verdictHa)
			}
			if tt.nextTool != "" || tt.nextHas != "" {
				n := r.Findings[0].Next
				if n == nil {
					t.Fatalf("first finding has no next action: %+v", r.Findings[0])
				}
				if n.Tool != tt.nextTool {
					t.Errorf("next tool = %q, want %q (%+v)", n.Tool, tt.nextTool, n)
				}
				if !strings.Contains(n.Step+" "+n.Command, tt.nextHas) {
					t.Errorf("next = %+v, want it to say %q", n, tt.nextHas)
				}
			}
			for _, f := range r.Findings {
				if f.Summary == "" || f.Severity == "" {
					t.Errorf("finding without summary or severity: %+v", f)
				}
				if tt.noReset && f.Next != nil && (f.Next.Tool == "reset_server_auth" || strings.Contains(f.Next.Step, "reset_server_auth")) {
					t.Errorf("%s suggests a reset although the server itself refuses or is broken: %+v", f.Code, f.Next)
				}
			}
			raw, _ := json.Marshal(r)
			if strings.Contains(string(raw), judgeCanary) {
				t.Errorf("canary in the report: %s", raw)
			}
		})
	}
}

// TestJudgeResetArguments: a suggested reset names exactly the definition
// diagnosed, so the tool call acts on it and nothing else.
func TestJudgeResetArguments(t *testing.T) {
	s := httpServer("srv")
	other := httpServer("srv") // a local definition of another project, effective there
	other.Scope, other.Project, other.Path = "local", "/work/other", "projects./work/other.mcpServers.srv"
	r := Diagnose(Input{Server: s, State: state(s, nil, gateA(true)), Probe: okResult(), Others: []registry.Server{other}})
	var reset *Action
	for _, f := range r.Findings {
		if f.Code == CodeStaleNeedsAuth {
			reset = f.Next
		}
	}
	if reset == nil {
		t.Fatalf("no stale finding: %+v", r.Findings)
	}
	if reset.Arguments["client"] != registry.ClaudeCode || reset.Arguments["scope"] != "user" || reset.Command != "mcpmend reset srv --client claude-code --scope user" {
		t.Errorf("reset action = %+v", reset)
	}
}

// TestFileFindings: a file that does not parse is an error; a file the
// client no longer reads is a warning that says so.
func TestFileFindings(t *testing.T) {
	got := FileFindings([]registry.Problem{
		{Client: registry.ClaudeCode, File: "/h/.claude.json", Line: 3, Column: 7, Message: "invalid JSON: unexpected }"},
		{Client: registry.ClaudeCode, File: "/h/.claude/settings.json", Message: "mcpServers here (1 server) is not read by Claude Code any more"},
		{Client: registry.Cursor, File: "/h/.cursor/mcp.json", Server: "x", Message: "mcpServers.x is a string, not an object: Cursor skips it"},
	})
	if len(got) != 3 || got[0].Severity != Error || got[0].Code != CodeConfigUnparseable || !strings.Contains(got[0].Summary, "/h/.claude.json:3:7") {
		t.Fatalf("unparseable file: %+v", got)
	}
	if got[1].Severity != Warning || !strings.Contains(got[1].Summary, "not read by Claude Code") || got[1].Client != registry.ClaudeCode {
		t.Errorf("legacy file: %+v", got[1])
	}
	if !strings.Contains(got[2].Summary, "server x") {
		t.Errorf("server problem: %+v", got[2])
	}
}

// TestJudgeClientLog: what the client itself logged about its failure is
// evidence beside the probe's, and only its error lines count.
func TestJudgeClientLog(t *testing.T) {
	hdr := httpServer("srv", "Authorization")
	logs := []store.Record{
		{Store: store.MCPLogs, Kind: mcplogs.KindLogLine, Detail: "[debug] Starting connection"},
		{Store: store.MCPLogs, Kind: mcplogs.KindLogLine, Detail: "[error] Server rejected the configured Authorization header (HTTP 401)."},
	}
	r := Diagnose(Input{Server: hdr, State: state(hdr, nil, logs...), Probe: rejected()})
	ev := strings.Join(r.Findings[0].Evidence, "\n")
	if !strings.Contains(ev, "Claude Code's MCP log: [error] Server rejected") || strings.Contains(ev, "Starting connection") {
		t.Errorf("evidence = %s", ev)
	}
}

// BenchmarkDiagnose is the judgment alone for a stuck server, for scale
// against a probe (milliseconds): it is negligible.
func BenchmarkDiagnose(b *testing.B) {
	s := httpServer("srv", "Authorization")
	in := Input{Server: s, State: state(s, nil, gateA(true), gateB(), logSkip()), Probe: okResult()}
	for b.Loop() {
		if r := Diagnose(in); r.Status != "error" {
			b.Fatal(r.Status)
		}
	}
}
