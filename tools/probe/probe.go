// Package probe dials one configured MCP server exactly the way its client
// would — the same command, arguments, environment and working directory, or
// the same URL and headers — and reports what the server really answers right
// now, as a verdict with evidence.
//
// A probe never changes anything: it starts the server's process (and ends
// everything that process started before returning) or sends the handshake,
// tools/list and ping requests a client sends. A bridge that would sign in
// through a browser or write its own state (mcp-remote) is not started: the
// remote it bridges is dialled directly with what the bridge has stored, read
// only (see bridge.go); Options.AllowSideEffects starts it anyway. Secrets
// from the configuration never appear in a Result: every error, stderr line,
// server name, tool name and header value is scrubbed and made inert (no
// control characters reach a terminal).
//
// A probe is ok only when initialize and tools/list both succeeded; any
// failure it cannot name is a protocol_error, never ok.
//
// No process outlives a probe. A stdio server leads its own process group
// (a kill-on-close job object on Windows, which takes in every process it
// starts), ended with SIGTERM then SIGKILL after stdin closes. On Linux the
// probing process is also a child subreaper (PR_SET_CHILD_SUBREAPER) and
// every process a probe starts carries a mark in its environment, so a
// descendant that called setsid() or double-forked is found, killed and, if
// it was reparented to us, reaped. On macOS and the other Unixes only the
// process group is ended: they have no subreaper and no readable environment
// of other processes, so a descendant that calls setsid() escapes there.
package probe

import (
	"context"
	"log/slog"
	"os"
	"runtime"
	"time"

	"github.com/mcpmend/mcpmend/registry"
)

// Verdict is the one-word outcome of a probe.
type Verdict string

// The verdicts. Everything but OK counts as a failed probe.
const (
	OK              Verdict = "ok"                // handshake, tools/list and ping succeeded
	AuthRequired    Verdict = "auth_required"     // 401 and no credential was sent
	AuthRejected    Verdict = "auth_rejected"     // 401 although a credential was sent
	Forbidden       Verdict = "forbidden"         // 403 (insufficient_scope or bare)
	NotFound        Verdict = "not_found"         // 404 or 410: wrong URL or path
	ServerError     Verdict = "server_error"      // 5xx
	Unreachable     Verdict = "unreachable"       // DNS failure, connection refused, no route
	TLSError        Verdict = "tls_error"         // certificate or TLS handshake failure
	Timeout         Verdict = "timeout"           // a phase did not finish in time (see Phase)
	ProtocolError   Verdict = "protocol_error"    // the peer does not speak MCP as configured
	Crashed         Verdict = "crashed"           // the stdio process exited (see Process)
	CommandNotFound Verdict = "command_not_found" // the stdio command (or its interpreter) is missing
	HelperFailed    Verdict = "helper_failed"     // headersHelper failed, timed out or printed no JSON object
	ConfigError     Verdict = "config_error"      // the entry cannot be dialled as written
	NotSupported    Verdict = "not_supported"     // a transport mcpmend cannot dial
	Cancelled       Verdict = "cancelled"         // the caller cancelled the probe
	NotTrusted      Verdict = "not_trusted"       // from a folder its client does not trust: not started
	NotStarted      Verdict = "not_started"       // starting it may open a browser or write state; needs AllowSideEffects
)

// Failed reports whether the verdict means the server is not usable as configured.
func (v Verdict) Failed() bool { return v != OK }

// Phase names, in the order a probe walks them.
const (
	PhaseConfig    = "config"     // expanding variables, resolving the command or URL
	PhaseHelper    = "helper"     // running headersHelper
	PhaseConnect   = "connect"    // starting the process, or opening the transport
	PhaseHandshake = "handshake"  // server/discover and/or initialize
	PhaseTools     = "tools/list" // listing tools (every page)
	PhasePing      = "ping"
	PhaseOAuth     = "oauth" // non-interactive OAuth discovery after a 401
)

// Result is what one probe found. Every string in it is safe to print.
type Result struct {
	Name      string             `json:"name"`
	Client    string             `json:"client"`
	Scope     string             `json:"scope"`
	File      string             `json:"file,omitempty"`
	Transport registry.Transport `json:"transport"`
	Target    string             `json:"target"` // redacted URL or command line

	Verdict Verdict `json:"verdict"`
	Summary string  `json:"summary"`         // one sentence a person can act on
	Phase   string  `json:"phase,omitempty"` // where a failed probe stopped
	Error   string  `json:"error,omitempty"` // the underlying error, scrubbed

	Phases     []PhaseTiming `json:"phases"`
	DurationMS float64       `json:"duration_ms"`

	Server  *ServerInfo      `json:"server,omitempty"`  // on ok (and on late failures)
	HTTP    []Exchange       `json:"http,omitempty"`    // every HTTP response, in order
	Auth    *AuthEvidence    `json:"auth,omitempty"`    // on 401/403
	Process *ProcessEvidence `json:"process,omitempty"` // stdio servers
	Bridge  *BridgeEvidence  `json:"bridge,omitempty"`  // a bridge (mcp-remote) whose remote was dialled instead
	Notes   []string         `json:"notes,omitempty"`   // things worth knowing even on ok

	// TimeoutMS is how long the probe waited: the startup timeout of the
	// client whose entry was probed, unless the caller gave one.
	TimeoutMS     int64  `json:"timeout_ms"`
	TimeoutSource string `json:"timeout_source"` // where TimeoutMS comes from
}

// PhaseTiming is how long one phase took and how it ended.
type PhaseTiming struct {
	Name  string  `json:"name"`
	MS    float64 `json:"ms"`
	OK    bool    `json:"ok"`
	Error string  `json:"error,omitempty"`
	Steps []Step  `json:"steps,omitempty"` // the requests inside the handshake
}

// Step is one JSON-RPC round trip inside a phase: server/discover then, when
// the server does not support it, initialize.
type Step struct {
	Method string  `json:"method"`
	MS     float64 `json:"ms"`
	Error  string  `json:"error,omitempty"`
}

// ServerInfo is what a server said about itself.
type ServerInfo struct {
	Name            string   `json:"name"`
	Version         string   `json:"version,omitempty"`
	ProtocolVersion string   `json:"protocol_version"`
	Capabilities    []string `json:"capabilities"`
	ToolCount       int      `json:"tool_count"`
	Tools           []string `json:"tools,omitempty"` // the first few names
	Handshake       string   `json:"handshake"`       // "server/discover" or "initialize"
}

// ProcessEvidence describes a stdio server's process.
type ProcessEvidence struct {
	Command    string   `json:"command"`            // redacted command line as started
	Resolved   string   `json:"resolved,omitempty"` // the executable found on PATH
	Dir        string   `json:"dir,omitempty"`
	ExitCode   *int     `json:"exit_code,omitempty"` // when it exited on its own
	Signal     string   `json:"signal,omitempty"`
	StderrTail string   `json:"stderr_tail,omitempty"` // last lines, redacted
	UnsetVars  []string `json:"unset_vars,omitempty"`  // ${VAR}s left unexpanded
	// StdoutNoise is the first lines the server wrote to stdout that are not
	// JSON-RPC (redacted); they were skipped as Claude Code skips them.
	StdoutNoise      []string `json:"stdout_noise,omitempty"`
	StdoutNoiseLines int      `json:"stdout_noise_lines,omitempty"` // how many such lines in all
}

// Options tune a probe. The zero value is ready to use.
type Options struct {
	// Timeout bounds the whole probe. By default it is the startup timeout
	// of the client whose entry is probed (StartupTimeout): Claude Code's
	// 30 s or MCP_TIMEOUT, Codex's startup_timeout_sec, … A phase still
	// running then yields a timeout verdict naming it.
	Timeout time.Duration
	// Environ is the inherited environment stdio servers, headersHelper and
	// ${VAR} expansion start from (default os.Environ()).
	Environ []string
	// Dir is the working directory for stdio servers that configure none and
	// belong to no project (default the current directory).
	Dir string
	// HelperTimeout bounds headersHelper (default 10 s, as Claude Code).
	HelperTimeout time.Duration
	// Grace is how long a stdio server gets to exit after its stdin closes,
	// and again after SIGTERM, before its process group is killed (default 500 ms).
	Grace time.Duration
	// Concurrency bounds how many stdio probes run at once in ProbeAll
	// (default 8): each starts a process, Node servers take ~70 MB. Remote
	// probes mostly wait on the network and get four times as many slots.
	Concurrency int
	// Starts bounds how many stdio servers ProbeAll lets start at once
	// (default runtime.NumCPU()): a slot is held from the process start
	// until its handshake ends, and a probe's timeout runs only once it has
	// one, so a first `npx -y` download does not starve its siblings.
	Starts int
	// AllowSideEffects lets a probe start a process that may open a browser
	// or write state of its own (mcp-remote when its remote cannot be dialled
	// directly). Without it such a server is judged not_started.
	AllowSideEffects bool
	// ClientVersion is the version the probe's MCP client reports (its name
	// is mcpmend-probe); default "dev".
	ClientVersion string
	// Logger receives diagnostics; never protocol output.
	Logger *slog.Logger

	// streamReturned, when set, is called once the standalone GET stream's
	// request has returned and its answer is recorded. Only tests set it:
	// a server that holds tools/list until it runs knows the probe has
	// the stream's answer before the session can end, with no sleep.
	streamReturned func()
}

func (o Options) withDefaults() Options {
	if o.Environ == nil {
		o.Environ = os.Environ()
	}
	if o.HelperTimeout <= 0 {
		o.HelperTimeout = 10 * time.Second
	}
	if o.Grace <= 0 {
		o.Grace = 500 * time.Millisecond
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 8
	}
	if o.Starts <= 0 {
		o.Starts = runtime.NumCPU()
	}
	if o.ClientVersion == "" {
		o.ClientVersion = "dev"
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Probe dials s as its client would and returns the verdict. It never
// returns an error: everything that goes wrong is the verdict. When ctx is
// cancelled the result is Cancelled; when Options.Timeout passes, Timeout.
func Probe(ctx context.Context, s registry.Server, opts Options) Result {
	return probe(ctx, s, opts.withDefaults(), nil)
}

// probe is Probe with an optional start gate (ProbeAll's): a stdio probe
// takes a slot before its timeout starts and gives it back after its
// handshake.
func probe(ctx context.Context, s registry.Server, opts Options, gate chan struct{}) Result {
	p := newProber(s, opts)
	p.gate = gate
	start := time.Now()
	switch {
	case s.Untrusted: // the client would not run it: neither does mcpmend
		p.fail(PhaseConfig, NotTrusted, "not started: "+s.TrustHint, nil)
	case s.Transport == registry.Stdio && p.bridged():
		p.bridge(ctx)
	case s.Transport == registry.Stdio:
		p.stdio(ctx)
	case s.Transport == registry.HTTP, s.Transport == registry.SSE, s.Transport == registry.WS:
		ctx, cancel := context.WithTimeout(ctx, p.timeout)
		p.remote(ctx)
		cancel()
	default:
		p.fail(PhaseConfig, NotSupported, "transport "+string(s.Transport)+" is not one mcpmend can dial", nil)
	}
	p.r.DurationMS = ms(time.Since(start))
	if p.r.Verdict == "" {
		p.settle()
	}
	return p.r
}

// settle gives a probe that set no failure its verdict: ok only when the
// handshake and tools/list were seen to succeed. Anything else is a failure
// nothing classified, which must never read as healthy.
func (p *prober) settle() {
	if p.complete {
		p.r.Verdict = OK
		return
	}
	phase := PhaseHandshake
	for _, ph := range p.r.Phases {
		if !ph.OK {
			phase = ph.Name
			break
		}
	}
	p.fail(phase, ProtocolError, "the session did not complete initialize and tools/list, and nothing explains why", nil)
}

func ms(d time.Duration) float64 {
	return float64(d.Round(100*time.Microsecond)) / float64(time.Millisecond)
}
