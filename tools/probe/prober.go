package probe

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/mcpmend/mcpmend/registry"
)

// prober carries one probe's state: the server, its options, the result
// being filled and every secret value that must be scrubbed from it.
type prober struct {
	s       registry.Server
	opts    Options
	r       Result
	env     map[string]string // inherited environment, for expansion and children
	secrets []registry.Secret

	timeout  time.Duration // Options.Timeout, or the client's startup timeout
	gate     chan struct{} // ProbeAll's stdio start slots (nil: none)
	gateOnce sync.Once     // releases a held slot once
	gateHeld bool          // a slot is held
	complete bool          // initialize and tools/list succeeded
	noise    *noiseLog     // stdout lines that were not JSON-RPC

	// resolver is set when the prober only resolves the command (Resolve):
	// nothing is started, so the environment is copied only when the entry
	// changes it, and texts are redacted through its memo.
	resolver *Resolver
}

func newProber(s registry.Server, opts Options) *prober {
	env := environMap(opts.Environ)
	return newProberWith(s, opts, env, inheritedSecrets(env))
}

// inheritedSecrets are the inherited variables that look like credentials:
// a server may echo them (a stack trace printing its environment), so they
// are scrubbed too.
func inheritedSecrets(env map[string]string) []registry.Secret {
	var out []registry.Secret
	for k, v := range env {
		if registry.IsSecretName(k) && len(v) >= 8 {
			out = append(out, registry.Secret(v))
		}
	}
	return out
}

// newProberWith is newProber with the inherited environment and its
// credentials already read; env is only read, never written.
func newProberWith(s registry.Server, opts Options, env map[string]string, inherited []registry.Secret) *prober {
	p := &prober{s: s, opts: opts, env: env, secrets: append(s.Raw.Secrets(), inherited...)}
	p.r = Result{Name: s.Name, Client: s.Client, Scope: s.Scope, File: s.File, Transport: s.Transport, Target: inert(target(s), false), Phases: []PhaseTiming{}}
	p.timeout, p.r.TimeoutSource = StartupTimeout(s, p.env)
	if opts.Timeout > 0 {
		p.timeout, p.r.TimeoutSource = opts.Timeout, "given by the caller"
	}
	p.r.TimeoutMS = p.timeout.Milliseconds()
	return p
}

// acquireStart takes a start slot when ProbeAll gave a gate; false when ctx
// ended first.
func (p *prober) acquireStart(ctx context.Context) bool {
	if p.gate == nil {
		return true
	}
	select {
	case p.gate <- struct{}{}:
		p.gateHeld = true
		return true
	case <-ctx.Done():
		return false
	}
}

// releaseStart gives the slot back; safe to call more than once.
func (p *prober) releaseStart() {
	if p.gateHeld {
		p.gateOnce.Do(func() { <-p.gate })
	}
}

// target is the redacted command line or URL, from the registry's already
// redacted fields.
func target(s registry.Server) string {
	if s.Transport == registry.Stdio {
		return strings.TrimSpace(s.Command + " " + strings.Join(s.Args, " "))
	}
	return s.URL
}

// addSecret registers a value computed at probe time (an expanded header, a
// helper's output) for scrubbing. A "Bearer X" value also registers X.
func (p *prober) addSecret(v string) {
	if len(v) < 4 {
		return
	}
	p.secrets = append(p.secrets, registry.Secret(v))
	if _, tok, ok := strings.Cut(v, " "); ok && len(tok) >= 4 {
		p.secrets = append(p.secrets, registry.Secret(tok))
	}
}

// scrub makes text from a server, a child process or an error safe to print:
// configured secret values are removed, then token-like strings, and
// control characters are replaced (line breaks and tabs are kept).
func (p *prober) scrub(s string) string {
	return inert(p.redactText(registry.Scrub(s, p.secrets...)), true)
}

// redactText is registry.RedactText, through the Resolver's memo when there
// is one.
func (p *prober) redactText(s string) string {
	if p.resolver != nil {
		return p.resolver.redactText(s)
	}
	return registry.RedactText(s)
}

// clean is scrub for one-line fields a server chose (its name, version,
// tool names): line breaks are replaced too.
func (p *prober) clean(s string) string {
	return inert(p.redactText(registry.Scrub(s, p.secrets...)), false)
}

// inert replaces C0 and C1 control characters and DEL with U+FFFD, so text
// a server chose cannot move a terminal's cursor, set its clipboard (OSC 52)
// or forge lines; multiline keeps \n and \t. Invalid UTF-8 is replaced too.
func inert(s string, multiline bool) string {
	clean := true
	for _, r := range s {
		if isControl(r, multiline) || r == utf8.RuneError {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if isControl(r, multiline) || r == utf8.RuneError {
			r = '\uFFFD'
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isControl(r rune, multiline bool) bool {
	if multiline && (r == '\n' || r == '\t') {
		return false
	}
	return r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f
}

func (p *prober) errText(err error) string {
	if err == nil {
		return ""
	}
	return p.scrub(err.Error())
}

// phase records one phase's timing.
func (p *prober) phase(name string, d time.Duration, err error, steps []Step) {
	p.r.Phases = append(p.r.Phases, PhaseTiming{Name: name, MS: ms(d), OK: err == nil, Error: p.errText(err), Steps: steps})
}

// fail sets the verdict. The first verdict wins: later cleanup errors do not
// overwrite the cause.
func (p *prober) fail(phase string, v Verdict, summary string, err error) {
	if p.r.Verdict != "" {
		return
	}
	p.r.Verdict, p.r.Phase, p.r.Summary = v, phase, p.scrub(summary)
	p.r.Error = p.errText(err)
}

func (p *prober) note(format string, args ...any) {
	p.r.Notes = append(p.r.Notes, p.scrub(fmt.Sprintf(format, args...)))
}

// ctxVerdict turns a finished context into Timeout or Cancelled for the
// phase that was running; ok is false when ctx is still live.
func (p *prober) ctxVerdict(ctx context.Context, phase string, err error) bool {
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		p.fail(phase, Timeout, p.timeoutSummary(phase), err)
	case ctx.Err() != nil:
		p.fail(phase, Cancelled, "the probe was cancelled during "+phase, err)
	default:
		return false
	}
	return true
}

// timeoutSummary says what did not finish and how long the client would
// have waited: for a process mcpmend started, that is start-up, not load.
func (p *prober) timeoutSummary(phase string) string {
	if p.s.Transport == registry.Stdio && (phase == PhaseConnect || phase == PhaseHandshake) {
		return fmt.Sprintf("the server did not finish starting within %s (%s): it never answered %s", p.timeout, p.r.TimeoutSource, phase)
	}
	return fmt.Sprintf("no answer within %s (%s): timed out in %s", p.timeout, p.r.TimeoutSource, phase)
}
