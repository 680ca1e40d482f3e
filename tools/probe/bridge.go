package probe

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"github.com/mcpmend/mcpmend/cache/mcpremote"
	"github.com/mcpmend/mcpmend/registry"
)

// BridgeEvidence describes a stdio bridge (mcp-remote) that the probe did
// not start: the remote it bridges was dialled directly, with what the
// bridge has stored, as the bridge would dial it.
type BridgeEvidence struct {
	Kind      string `json:"kind"`                 // "mcp-remote"
	URL       string `json:"url"`                  // the remote, redacted
	Transport string `json:"transport"`            // http or sse: what answered, else what was tried last
	TokenFile string `json:"token_file,omitempty"` // the bridge's stored tokens, read only
	Token     string `json:"token"`                // none, sent, expired (refresh stored), expired
}

// Why a bridge is dialled rather than started: mcp-remote, on a 401, registers
// an OAuth client, writes client_info.json, code_verifier_* and
// discovery_state_* under ~/.mcp-auth and opens a browser — a probe must
// change nothing, and the verdict that matters is the remote's own.

// mcpRemote returns mcp-remote's arguments (expanded as the client expands
// the command line) when s runs it.
func (p *prober) mcpRemote() ([]string, bool) {
	args := make([]string, len(p.s.Raw.Args))
	for i, a := range p.s.Raw.Args {
		args[i] = a.Reveal()
		if expands(p.s.Client) {
			args[i] = expandVars(args[i], p.env, map[string]bool{})
		}
	}
	return mcpremote.Args(p.s.Command, args)
}

// bridged reports whether the probe dials s's remote instead of starting s.
func (p *prober) bridged() bool {
	if p.opts.AllowSideEffects {
		return false
	}
	_, ok := p.mcpRemote()
	return ok
}

// bridgeUnreachable reports a crashed bridge whose stderr says it could
// not connect to its remote.
func (p *prober) bridgeUnreachable(cause string) bool {
	if _, ok := p.mcpRemote(); !ok {
		return false
	}
	for _, m := range []string{"ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "fetch failed"} {
		if strings.Contains(cause, m) {
			return true
		}
	}
	return false
}

// bridge dials the remote an mcp-remote entry bridges: its URL, its
// --header values, and the access token mcp-remote stored for it, read
// only. Nothing is registered, written or opened.
func (p *prober) bridge(ctx context.Context) {
	start := time.Now()
	mrArgs, _ := p.mcpRemote()
	env := p.childEnv()
	cfg := mcpremote.Parse(mrArgs, func(path string) ([]byte, error) { return readSmall(path, p.s.Cwd) })
	p.r.Process = &ProcessEvidence{Command: p.r.Target}
	if cfg.ServerURL == "" || strings.HasPrefix(cfg.Problem, "cannot read --header-file") || strings.Contains(cfg.Problem, "not a URL") {
		err := fmt.Errorf("mcp-remote: %s", cfg.Problem)
		p.phase(PhaseConfig, time.Since(start), err, nil)
		p.fail(PhaseConfig, ConfigError, "mcp-remote would not start: "+cfg.Problem, err)
		return
	}
	ev := &BridgeEvidence{Kind: "mcp-remote", URL: registry.RedactURL(cfg.ServerURL), Token: "none"}
	p.r.Bridge = ev
	if u, err := url.Parse(cfg.ServerURL); err != nil || u.Scheme != "http" && u.Scheme != "https" {
		err := fmt.Errorf("mcp-remote's remote %s is not an http(s) URL", ev.URL)
		p.phase(PhaseConfig, time.Since(start), err, nil)
		p.fail(PhaseConfig, NotStarted, "mcp-remote's remote is not an http(s) URL the probe can dial itself, and starting mcp-remote may open a browser and write ~/.mcp-auth: probe again with --allow-side-effects (allow_side_effects) to start it", err)
		return
	}
	remote := registry.Server{Name: p.s.Name, Client: p.s.Client, Scope: p.s.Scope, File: p.s.File, Project: p.s.Project,
		Transport: registry.HTTP, URL: ev.URL}
	remote.Raw.URL = registry.Secret(cfg.ServerURL)
	for _, h := range mcpRemoteHeaders(mrArgs, env) {
		remote.Raw.Headers = append(remote.Raw.Headers, registry.Header{Name: h[0], Value: registry.Secret(h[1])})
		p.addSecret(h[1])
	}
	tok := p.mcpRemoteToken(ctx, env, ev)
	if tok != "" {
		p.addSecret(tok)
		remote.Raw.Headers = append(remote.Raw.Headers, registry.Header{Name: "Authorization", Value: registry.Secret("Bearer " + tok)})
	}
	p.phase(PhaseConfig, time.Since(start), nil, nil)
	order := mcpRemoteTransports(mrArgs)
	var q *prober
	for i, t := range order {
		remote.Transport = t
		q = p.sub(remote)
		ctx, cancel := context.WithTimeout(ctx, p.timeout)
		q.remote(ctx)
		cancel()
		if q.r.Verdict == "" {
			q.settle()
		}
		ev.Transport = string(t)
		// http-first falls back to SSE on a 404/405-like refusal, as
		// mcp-remote's default strategy does.
		if q.r.Verdict == OK || i == len(order)-1 || (q.r.Verdict != NotFound && q.r.Verdict != ProtocolError) {
			break
		}
	}
	p.adopt(q)
	p.bridgeSummary(ev)
	p.note("mcp-remote was not started (it may register an OAuth client, write ~/.mcp-auth and open a browser): the probe dialled %s itself with mcp-remote's stored token, read only", ev.URL)
}

// sub is a prober for the remote a bridge points at, sharing the secrets.
func (p *prober) sub(s registry.Server) *prober {
	q := newProber(s, p.opts)
	q.secrets = append(q.secrets, p.secrets...)
	q.timeout, q.r.TimeoutSource = p.timeout, p.r.TimeoutSource
	return q
}

// adopt takes a sub-probe's findings as this probe's.
func (p *prober) adopt(q *prober) {
	p.r.Verdict, p.r.Summary, p.r.Phase, p.r.Error = q.r.Verdict, q.r.Summary, q.r.Phase, q.r.Error
	p.r.Phases = append(p.r.Phases, q.r.Phases...)
	p.r.Server, p.r.HTTP, p.r.Auth = q.r.Server, q.r.HTTP, q.r.Auth
	p.r.Notes = append(p.r.Notes, q.r.Notes...)
	p.complete = q.complete
}

// bridgeSummary words the remote's verdict for a bridge: what the user
// does is sign in in the client (mcp-remote opens the browser then), never
// a reset of files that only a sign-in fixes.
func (p *prober) bridgeSummary(ev *BridgeEvidence) {
	switch p.r.Verdict {
	case AuthRequired:
		p.r.Summary = fmt.Sprintf("needs OAuth sign-in: %s answers 401 and mcp-remote holds no token for it; start the server in the client and finish the sign-in mcp-remote opens in the browser", ev.URL)
	case AuthRejected:
		p.r.Summary = fmt.Sprintf("token rejected: %s refuses the token mcp-remote stored (%s); sign in again in the client, where mcp-remote opens the browser", ev.URL, ev.Token)
	case Unreachable:
		p.r.Summary = "mcp-remote's remote is unreachable: " + p.r.Summary
	}
}

// mcpRemoteToken reads the access token mcp-remote stored for this
// configuration (its hash of URL and options), read only. An expired token
// is still sent: mcp-remote would refresh it first, which is a write.
func (p *prober) mcpRemoteToken(ctx context.Context, env map[string]string, ev *BridgeEvidence) string {
	home := lookupEnv(env, "HOME")
	if runtime.GOOS == "windows" && home == "" {
		home = lookupEnv(env, "USERPROFILE")
	}
	renv := registry.Env{Home: home, GOOS: runtime.GOOS, Getenv: func(k string) string { return lookupEnv(env, k) }}
	srv := p.s
	recs, _ := mcpremote.Store{}.Inspect(ctx, renv, srv, time.Now())
	for _, r := range recs {
		if r.Kind != mcpremote.KindTokens {
			continue
		}
		data, err := readSmall(r.File, "")
		if err != nil {
			continue
		}
		access := gjson.GetBytes(data, "access_token").String()
		if access == "" {
			continue
		}
		ev.TokenFile = r.File
		ev.Token = "sent"
		if !r.Active {
			ev.Token = "expired"
		} else if r.Until != nil && !time.Now().Before(r.Until.Add(-time.Minute)) {
			ev.Token = "expired (refresh token stored)"
		}
		return access
	}
	return ""
}

// childEnv is the environment the bridge would run with.
func (p *prober) childEnv() map[string]string {
	env := make(map[string]string, len(p.env)+len(p.s.Raw.Env))
	for k, v := range p.env {
		env[k] = v
	}
	for _, e := range p.s.Raw.Env {
		v := e.Value.Reveal()
		if expands(p.s.Client) {
			v = expandVars(v, p.env, map[string]bool{})
		}
		envSet(env, e.Name, v, runtime.GOOS)
		if registry.IsSecretName(e.Name) || registry.LooksLikeCredential(v) {
			p.addSecret(v)
		}
	}
	return env
}

// mcpRemoteHeaders are the --header Name:Value pairs, with ${VAR} replaced
// from the bridge's environment as mcp-remote does.
func mcpRemoteHeaders(args []string, env map[string]string) [][2]string {
	var out [][2]string
	for i := 0; i+1 < len(args); i++ {
		if args[i] != "--header" {
			continue
		}
		name, val, ok := strings.Cut(args[i+1], ":")
		if !ok || strings.TrimSpace(name) == "" || strings.ContainsAny(name, " \t") {
			continue
		}
		val = expandVars(strings.TrimLeft(val, " \t"), env, map[string]bool{})
		out = append(out, [2]string{name, val})
		i++
	}
	return out
}

// mcpRemoteTransports is the order mcp-remote's --transport strategy tries.
func mcpRemoteTransports(args []string) []registry.Transport {
	strategy := "http-first"
	for i := 0; i+1 < len(args); i++ {
		if args[i] == "--transport" {
			strategy = args[i+1]
		}
	}
	switch strategy {
	case "sse-only":
		return []registry.Transport{registry.SSE}
	case "http-only":
		return []registry.Transport{registry.HTTP}
	case "sse-first":
		return []registry.Transport{registry.SSE, registry.HTTP}
	}
	return []registry.Transport{registry.HTTP, registry.SSE}
}

// readSmall reads a regular file of at most 1 MB, relative to dir when not
// absolute: a bridge's token or header file, never written.
func readSmall(path, dir string) ([]byte, error) {
	if dir != "" && !isAbs(path) {
		path = dir + string(os.PathSeparator) + path
	}
	// Stat first: opening a FIFO would block.
	if st, err := os.Stat(path); err != nil {
		return nil, err
	} else if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, 1<<20))
}
