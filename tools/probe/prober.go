package probe

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

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
}

func newProber(s registry.Server, opts Options) *prober {
	p := &prober{s: s, opts: opts, env: environMap(opts.Environ), secrets: s.Raw.Secrets()}
	// Inherited variables that look like credentials may be echoed by a
	// server (a stack trace printing its environment): scrub them too.
	for k, v := range p.env {
		if registry.IsSecretName(k) && len(v) >= 8 {
			p.secrets = append(p.secrets, registry.Secret(v))
		}
	}
	p.r = Result{Name: s.Name, Client: s.Client, Scope: s.Scope, File: s.File, Transport: s.Transport, Target: target(s), Phases: []PhaseTiming{}}
	return p
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
// configured secret values are removed, then token-like strings.
func (p *prober) scrub(s string) string {
	return registry.RedactText(registry.Scrub(s, p.secrets...))
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
		p.fail(phase, Timeout, fmt.Sprintf("no answer within %s: timed out in %s", p.opts.Timeout, phase), err)
	case ctx.Err() != nil:
		p.fail(phase, Cancelled, "the probe was cancelled during "+phase, err)
	default:
		return false
	}
	return true
}
