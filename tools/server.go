// Package tools is mcpmend's MCP tool surface: one file per tool, each with
// its input and output types, annotations and handler. The CLI calls the same
// functions and renders the same typed results; it never re-implements them.
package tools

import (
	"context"
	"log/slog"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpmend/mcpmend/internal/inert"
	"github.com/mcpmend/mcpmend/registry"
	"github.com/mcpmend/mcpmend/tools/preanswer"
)

// Version is mcpmend's version, set by the binary at link time.
var Version = "dev"

// instructions is the text sent to clients as server instructions
// (tools/preanswer/instructions.md: serve's pre-answer sends it too).
var instructions = preanswer.Instructions

// Instructions returns the text sent to clients as server instructions.
func Instructions() string { return instructions }

// Deps is what every tool works from. The zero value is not usable: build it
// with NewDeps or fill Env.
type Deps struct {
	Env    registry.Env     // whose machine to inspect
	Logger *slog.Logger     // diagnostics, to stderr only
	Now    func() time.Time // the clock, for cache judgments
	// StartWorker starts the detached apply-pending worker when a reset has
	// to wait for a locked store; nil starts none (the waiting part is
	// applied by whatever replays the journal next: see journal.ReplayNote).
	// The binary sets it; tests leave it nil.
	StartWorker func(env registry.Env) (pid int, err error)
	// AfterHandshake is called each time a client finishes the MCP handshake
	// (notifications/initialized, or server/discover in the 2026-07-28
	// protocol, which has no initialize): `serve` replays the journal there,
	// once, so a client never waits for it to start. It must return at once.
	// Nil does nothing.
	AfterHandshake func()

	// bridges holds each server's bridge_server mounts (NewDeps makes it;
	// a Deps built by hand shares a package-wide one); Close ends them.
	bridges *bridgeSet
}

// NewDeps returns Deps for env, with a discarding logger and the real clock
// where none is given.
func NewDeps(env registry.Env, logger *slog.Logger) *Deps {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Deps{Env: env, Logger: logger, Now: time.Now, bridges: &bridgeSet{}}
}

// handshakeDone calls AfterHandshake once a handshake message has been
// handled: the client is talking to us, so work done now delays no start-up.
func (d *Deps) handshakeDone(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		res, err := next(ctx, method, req)
		if d.AfterHandshake != nil && err == nil && (method == "notifications/initialized" || method == "server/discover") {
			d.AfterHandshake()
		}
		return res, err
	}
}

func (d *Deps) now() time.Time {
	if d.Now == nil {
		return time.Now()
	}
	return d.Now()
}

// NewServer builds mcpmend's MCP server with every tool of toolList.
func NewServer(d *Deps) *mcp.Server { return newServer(d, nil) }

// newServer is NewServer; reflect, when set, is told how each tool's
// schemas are inferred (the generator of schemas.json).
func newServer(d *Deps, reflect reflector) *mcp.Server {
	s := mcp.NewServer(&mcp.Implementation{Name: preanswer.Name, Title: preanswer.Title, Version: Version},
		&mcp.ServerOptions{Instructions: instructions, Logger: d.Logger})
	ts := &toolSet{s: s, d: d, reflect: reflect}
	s.AddReceivingMiddleware(d.handshakeDone, ts.listWithSchemas)
	for _, add := range toolList {
		add(ts)
	}
	addFixServerPrompt(s)
	return s
}

// toolList is every MCP tool, in the order a model should read them: the
// diagnosis, then the one change mcpmend makes and its follow-ups. The
// surface stays at five tools at most (counting bridge_server): each tool
// costs every conversation its description, so the CLI keeps the richer
// commands (list, probe, state, checkup) and the MCP surface only what a
// model needs to fix a server. A new tool is added here and in its own
// file.
var toolList = []func(*toolSet){
	addDiagnose,
	addResetServerAuth,
	addUndoReset,
	addResetStatus,
	addBridgeServer,
}

// text wraps a compact, model-readable rendering of a typed result; the typed
// value itself goes out as structuredContent (JSON, where control
// characters are escaped). The text is made inert: names, commands, URLs
// and stderr come from files and servers mcpmend does not control.
func text(s string) *mcp.CallToolResult {
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: inert.Text(s)}}}
}

// ptr returns a pointer to b, for the annotations the SDK takes as *bool.
func ptr(b bool) *bool { return &b }
