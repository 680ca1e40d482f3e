package diagnose

import (
	"fmt"
	"strings"

	"github.com/mcpmend/mcpmend/registry"
	"github.com/mcpmend/mcpmend/tools/probe"
)

// Codes of findings about the server's live answer and the client's memory
// of it.
const (
	// CodeStaleNeedsAuth: the server answers, the client's session skips it
	// because of a remembered 401. The cure is reset_server_auth.
	CodeStaleNeedsAuth = "stale-needs-auth"
	// CodeSkippedByClient: the session skips the server; it was not dialled,
	// so whether the memory is stale is not known yet.
	CodeSkippedByClient = "skipped-by-client"
	// CodeSkippedWithToken: the session skips an OAuth server although a
	// usable token is stored; mcpmend cannot test that token.
	CodeSkippedWithToken = "skipped-with-token"
	// CodeNeedsAuthCached: the session skips the server, but something else
	// is wrong first; clearing the memory would not help yet.
	CodeNeedsAuthCached = "needs-auth-cached"

	CodeServerAuthRequired = "server-auth-required" // 401, nothing configured or stored
	CodeOAuthTokenExpired  = "oauth-token-expired"  // 401, the stored token cannot be used
	CodeOAuthTokenStored   = "oauth-token-stored"   // 401 to the probe, but the client holds a usable token
	CodeCredentialRejected = "credential-rejected"  // 401 although a credential was sent
	CodeForbidden          = "forbidden"
	CodeNotFound           = "not-found"
	CodeServerError        = "server-error"
	CodeUnreachable        = "unreachable"
	CodeTLSError           = "tls-error"
	CodeTimeout            = "timeout"
	CodeProtocolError      = "protocol-error"
	CodeCrashed            = "crashed"
	CodeCommandNotFound    = "command-not-found"
	CodeHelperFailed       = "helper-failed"
	CodeConfigError        = "config-error"
	CodeProbeUnsupported   = "probe-unsupported"
	CodeProbeCancelled     = "probe-cancelled"
	CodeNotProbed          = "not-probed"
	CodeTransientFailure   = "transient-failure" // ok, after a 401/403/5xx on the way
	CodeBridgeSignIn       = "bridge-sign-in"    // mcp-remote's remote needs a (new) sign-in
	CodeStdoutNoise        = "stdout-noise"      // ok, but the server logs on stdout
	CodeNotStarted         = "not-started"       // starting it may open a browser or write state
)

// liveFindings judges what the server answered against what the client
// will do with it.
func (f *facts) liveFindings() []Finding {
	r := f.in.Probe
	var out []Finding
	switch {
	case r == nil:
		out = f.notProbed()
	case r.Bridge != nil && (r.Verdict == probe.AuthRequired || r.Verdict == probe.AuthRejected):
		out = []Finding{f.bridgeSignIn(r)}
	case r.Verdict == probe.OK:
		out = f.answered(r)
	case r.Verdict == probe.AuthRequired:
		out = f.authRequired(r)
	case r.Verdict == probe.AuthRejected:
		out = []Finding{f.credentialRejected(r)}
	default:
		out = []Finding{f.failed(r)}
	}
	if f.skip && !gateExplained(out) {
		out = append(out, Finding{Severity: Info, Code: CodeNeedsAuthCached,
			Summary: fmt.Sprintf("Claude Code also remembers an earlier 401 for %s and skips it (%s); that is not the problem now — once the server works, diagnose again, and clear the memory then if it is still there",
				f.s.Name, f.gatesText()),
			Evidence: f.gateEvidence()})
	}
	return out
}

// gateExplained reports whether a finding already speaks for the gates.
func gateExplained(fs []Finding) bool {
	for _, x := range fs {
		switch x.Code {
		case CodeStaleNeedsAuth, CodeSkippedByClient, CodeSkippedWithToken, CodeServerAuthRequired, CodeOAuthTokenExpired, CodeCredentialRejected:
			return true
		}
	}
	return false
}

func (f *facts) notProbed() []Finding {
	why := f.in.NotProbed
	if why == "" {
		why = "not dialled"
	}
	if f.skip {
		return []Finding{{Severity: Error, Code: CodeSkippedByClient,
			Summary: fmt.Sprintf("%s sends %s no request and reports it as needing authentication (%s); it was not dialled (%s), so whether the server itself is fine is not known",
				f.whoSkips(), f.s.Name, f.gatesText(), why),
			Evidence: f.gateEvidence(),
			Next:     f.diagnoseAction("connect to it (a probe) to tell stale memory (a reset cures that) from a server that really needs a sign-in")}}
	}
	return []Finding{{Severity: Info, Code: CodeNotProbed, Summary: fmt.Sprintf("%s was not dialled: %s", f.s.Name, why)}}
}

// bridgeSignIn: the remote behind mcp-remote wants a sign-in (or a new
// one). Only the sign-in mcp-remote runs in the client's session fixes
// that; removing mcp-remote's files would not.
func (f *facts) bridgeSignIn(r *probe.Result) Finding {
	ev := append(probeEvidence(r), oauthEvidence(r)...)
	if r.Bridge.TokenFile != "" {
		ev = append(ev, "mcp-remote token: "+r.Bridge.Token+" ("+r.Bridge.TokenFile+")")
	}
	step := fmt.Sprintf("sign in from the client: start %s with %s (in Claude Code a new session, or /mcp → %s → Reconnect); mcp-remote then opens the browser — finish the sign-in there. Resetting mcp-remote's files does not help", f.s.Name, clientTitle(f.s.Client), f.s.Name)
	return Finding{Severity: Error, Code: CodeBridgeSignIn, Summary: fmt.Sprintf("%s: %s", f.s.Name, r.Summary), Evidence: ev, Next: &Action{Step: step}}
}

// answered: the probe got through. Stuck exactly when the session skips.
func (f *facts) answered(r *probe.Result) []Finding {
	if r.Process != nil && r.Process.StdoutNoiseLines > 0 && !f.skip {
		return []Finding{{Severity: Info, Code: CodeStdoutNoise,
			Summary:  fmt.Sprintf("%s works, but prints logs on stdout; Claude Code tolerates it, strict clients may not", f.s.Name),
			Evidence: append([]string{fmt.Sprintf("%d stdout line(s) that are not JSON-RPC", r.Process.StdoutNoiseLines)}, r.Process.StdoutNoise...),
			Next:     &Action{Step: "nothing is needed for Claude Code; for other clients, have the server log to stderr (often a --quiet flag or a log setting)"}}}
	}
	if f.skip {
		ev := append(probeEvidence(r), f.gateEvidence()...)
		return []Finding{{Severity: Error, Code: CodeStaleNeedsAuth,
			Summary: fmt.Sprintf("%s answers right now, but Claude Code remembers an earlier 401 and its sessions skip it (%s): the client's memory is stale, not the server",
				f.s.Name, f.gatesText()),
			Evidence: ev,
			Next: f.resetAction(fmt.Sprintf("clear Claude Code's memory of %s (a dry run first shows the exact records); then start a new session, or /mcp → %s → Reconnect in an open one",
				f.s.Name, f.s.Name))}}
	}
	for _, n := range r.Notes {
		if strings.Contains(n, "then the session succeeded") {
			return []Finding{{Severity: Info, Code: CodeTransientFailure,
				Summary:  fmt.Sprintf("%s answered, but only after a failure on the way: %s", f.s.Name, f.after401(strings.Contains(n, "answered 401"))),
				Evidence: []string{n}}}
		}
	}
	return nil
}

// after401 says who would remember such a failure: per installed Claude
// Code when they are known (the answer changed between versions), else
// the cautious general statement.
func (f *facts) after401(was401 bool) string {
	if !was401 || f.sess == nil || len(f.sess.Clients) == 0 {
		return "a client that saw only that failure may remember it"
	}
	var keeps, forgets []string
	for _, c := range f.sess.Clients {
		switch c.After401 {
		case "needs-auth":
			keeps = append(keeps, c.Who)
		case "failed":
			forgets = append(forgets, c.Who)
		}
	}
	var parts []string
	if len(keeps) > 0 {
		parts = append(parts, strings.Join(keeps, " and ")+" would remember a 401 like it and skip the server for a while afterwards")
	}
	if len(forgets) > 0 {
		parts = append(parts, strings.Join(forgets, " and ")+" would report it failed and try again next session")
	}
	return strings.Join(parts, "; ")
}

// authRequired: a 401 and the probe sent no credential. Whether that is a
// problem depends on what the client holds.
func (f *facts) authRequired(r *probe.Result) []Finding {
	ev := append(probeEvidence(r), oauthEvidence(r)...)
	if !f.isClaude() {
		return []Finding{{Severity: Warning, Code: CodeServerAuthRequired,
			Summary:  fmt.Sprintf("%s requires authentication and none is configured; mcpmend cannot see whether %s holds a sign-in of its own for it", f.s.Name, clientTitle(f.s.Client)),
			Evidence: ev, Next: f.signInAction(r)}}
	}
	switch f.tokens {
	case "usable":
		if f.skip {
			return []Finding{{Severity: Error, Code: CodeSkippedWithToken,
				Summary:  fmt.Sprintf("%s requires OAuth and Claude Code holds a usable token for it, yet its sessions skip it (%s); mcpmend cannot test that token (it never uses stored tokens)", f.s.Name, f.gatesText()),
				Evidence: append(ev, f.gateEvidence()...),
				Next:     f.resetAction(fmt.Sprintf("clear the needs-auth memory (the token is kept) so the next session tries the token; if that session still reports needs authentication, sign in again: claude mcp login %s", f.s.Name))}}
		}
		return []Finding{{Severity: Info, Code: CodeOAuthTokenStored,
			Summary:  fmt.Sprintf("%s requires OAuth; Claude Code holds a usable token and sends it (the probe dials without stored tokens, so its 401 is expected)", f.s.Name),
			Evidence: ev}}
	case "expired":
		return []Finding{{Severity: Error, Code: CodeOAuthTokenExpired,
			Summary:  fmt.Sprintf("%s requires OAuth and Claude Code's stored token has expired with no refresh token: a new sign-in is needed", f.s.Name),
			Evidence: append(ev, f.gateEvidence()...), Next: f.loginAction()}}
	}
	ev = concat(ev, f.logEvidence())
	sum := fmt.Sprintf("%s really requires authentication: it answers 401 and no credential is configured or stored", f.s.Name)
	if f.skip {
		sum += fmt.Sprintf(" — Claude Code's needs-auth memory (%s) is right, so clearing it alone would not help", f.gatesText())
	}
	return []Finding{{Severity: Error, Code: CodeServerAuthRequired, Summary: sum,
		Evidence: append(ev, f.gateEvidence()...), Next: f.signInAction(r)}}
}

// signInAction is how to get a credential for a server that asks for one,
// from what its OAuth discovery found.
func (f *facts) signInAction(r *probe.Result) *Action {
	var d *probe.OAuthDiscovery
	if r.Auth != nil {
		d = r.Auth.OAuth
	}
	switch {
	case d == nil || !d.Found:
		return &Action{Step: fmt.Sprintf("the server publishes no OAuth metadata: put its API token in headers (e.g. Authorization: Bearer …) or a headersHelper in %s", f.where())}
	case d.DynamicRegistration || d.ClientIDMetadata || d.ConfiguredClientID || f.s.OAuth != nil && f.s.OAuth.ClientID != "":
		return f.loginAction()
	}
	return &Action{Step: fmt.Sprintf("the server offers OAuth but no dynamic client registration: add the client id its operator issues as oauth.clientId to %s (then sign in), or send a token in headers", f.where())}
}

// oauthEvidence is what the challenge and discovery said.
func oauthEvidence(r *probe.Result) []string {
	a := r.Auth
	if a == nil {
		return nil
	}
	var ev []string
	if a.Error != "" {
		e := "challenge error: " + a.Error
		if a.Scope != "" {
			e += " (scope " + a.Scope + ")"
		}
		ev = append(ev, e)
	}
	if o := a.OAuth; o != nil && o.Found {
		reg := "no dynamic client registration"
		if o.DynamicRegistration {
			reg = "dynamic client registration offered"
		}
		ev = append(ev, fmt.Sprintf("oauth: authorization server %s, %s", o.Issuer, reg))
	}
	return ev
}

// credentialRejected: the configured credential was sent and refused. Not
// a cache problem: the client would be refused just the same.
func (f *facts) credentialRejected(r *probe.Result) Finding {
	sent := "the configured credential"
	if r.Auth != nil && len(r.Auth.HeadersSent) > 0 {
		sent = "header " + strings.Join(r.Auth.HeadersSent, ", ")
	}
	source := "headers"
	if f.s.HeadersHelper {
		source = "headers or headersHelper"
	}
	step := fmt.Sprintf("replace the credential sent in the %s of %s — or the variable it comes from — with a valid one, then diagnose it again", source, f.where())
	if f.skip {
		step += " (if Claude Code still skips it then, a reset clears its memory)"
	}
	return Finding{Severity: Error, Code: CodeCredentialRejected,
		Summary:  fmt.Sprintf("%s refuses the credential it is configured with (%s): the token or key is wrong, expired or revoked — the server and the client's memory are not the problem", f.s.Name, sent),
		Evidence: concat(probeEvidence(r), oauthEvidence(r), f.gateEvidence(), f.logEvidence()),
		Next:     &Action{Step: step}}
}

// failed: the probe could not get an MCP answer for another reason.
func (f *facts) failed(r *probe.Result) Finding {
	x := Finding{Severity: Error, Summary: fmt.Sprintf("%s: %s", f.s.Name, r.Summary), Evidence: concat(probeEvidence(r), f.logEvidence())}
	switch r.Verdict {
	case probe.Forbidden:
		x.Code = CodeForbidden
		x.Evidence = append(x.Evidence, oauthEvidence(r)...)
		x.Next = &Action{Step: "the server refuses this credential or client (403): use a credential with the access it needs (the scope it names, if any) in " + f.where()}
	case probe.NotFound:
		x.Code, x.Next = CodeNotFound, &Action{Step: "check the url's path (and the transport type) in " + f.where()}
	case probe.ServerError:
		x.Code, x.Next = CodeServerError, &Action{Step: "the server itself is failing: nothing in the client fixes that; check the server (or its status page) and diagnose again once it recovers"}
	case probe.Unreachable:
		x.Code, x.Next = CodeUnreachable, &Action{Step: "start the server, or fix the host and port of the url in " + f.where()}
	case probe.TLSError:
		x.Code, x.Next = CodeTLSError, &Action{Step: "fix the server's certificate, or the url's scheme (http vs https) in " + f.where()}
	case probe.Timeout:
		x.Code = CodeTimeout
		if r.Transport == registry.Stdio && (r.Phase == probe.PhaseConnect || r.Phase == probe.PhaseHandshake) {
			x.Evidence = append(x.Evidence, processEvidence(r)...)
			x.Next = f.diagnoseAction(fmt.Sprintf("the server did not finish starting within %s (%s): a first `npx -y`/`uvx` run downloads the package — check that the package registry is reachable and run the command once in a terminal to fill the cache; if it is merely slow, raise the client's timeout (Claude Code: MCP_TIMEOUT in ms; Codex: startup_timeout_sec); then diagnose again", msText(float64(r.TimeoutMS)), r.TimeoutSource), "timeout", 120)
		} else {
			x.Next = f.diagnoseAction("check that the server is running and reachable, and not overloaded; diagnose again with a longer timeout to be sure", "timeout", 60)
		}
	case probe.NotStarted:
		x.Severity, x.Code = Warning, CodeNotStarted
		x.Next = &Action{Step: "starting it may open a browser or write state; to probe it anyway, run `mcpmend probe " + shellWord(f.s.Name) + " --allow-side-effects` (or set allow_side_effects in probe_server)"}
	case probe.ProtocolError:
		x.Code, x.Next = CodeProtocolError, &Action{Step: protocolStep(f)}
	case probe.Crashed:
		x.Code = CodeCrashed
		x.Evidence = append(x.Evidence, processEvidence(r)...)
		x.Next = &Action{Step: "run the command yourself to see why it exits, and fix its arguments, env or installation in " + f.where()}
	case probe.CommandNotFound:
		x.Code = CodeCommandNotFound
		x.Evidence = append(x.Evidence, processEvidence(r)...)
		x.Next = &Action{Step: fmt.Sprintf("install %s, or write its absolute path as the command in %s (clients start it with their own PATH)", f.s.Command, f.where())}
	case probe.HelperFailed:
		x.Code, x.Next = CodeHelperFailed, &Action{Step: "fix headersHelper in " + f.where() + ": it must print a JSON object of headers"}
	case probe.ConfigError:
		x.Code, x.Next = CodeConfigError, &Action{Step: "fix " + f.where()}
	case probe.NotSupported:
		x.Severity, x.Code = Info, CodeProbeUnsupported
	case probe.Cancelled:
		x.Severity, x.Code = Warning, CodeProbeCancelled
		x.Next = f.diagnoseAction("diagnose again")
	default:
		x.Code = string(r.Verdict)
	}
	return x
}

func protocolStep(f *facts) string {
	if f.s.Transport == registry.Stdio {
		return "the server's answers on stdout are not valid MCP (log lines alone would have been skipped): fix the server, or its arguments in " + f.where()
	}
	return "the url does not speak MCP as configured: check its path and the transport type (http vs sse) in " + f.where()
}

// processEvidence is a stdio server's exit and the end of its stderr.
func processEvidence(r *probe.Result) []string {
	p := r.Process
	if p == nil {
		return nil
	}
	var ev []string
	if p.Resolved != "" {
		ev = append(ev, "command: "+p.Resolved)
	}
	if p.ExitCode != nil {
		ev = append(ev, fmt.Sprintf("exit code %d", *p.ExitCode))
	}
	if p.Signal != "" {
		ev = append(ev, "killed by "+p.Signal)
	}
	if len(p.UnsetVars) > 0 {
		ev = append(ev, "unset variables: "+strings.Join(p.UnsetVars, ", "))
	}
	if t := strings.TrimSpace(p.StderrTail); t != "" {
		lines := strings.Split(t, "\n")
		if len(lines) > 5 {
			lines = lines[len(lines)-5:]
		}
		for _, l := range lines {
			ev = append(ev, "stderr: "+l)
		}
	}
	return ev
}

// concat joins evidence lists.
func concat(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}
