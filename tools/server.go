// Package tools is mcpmend's MCP tool surface: one file per tool, each with
// its input and output types, annotations and handler. The CLI calls the same
// functions and renders the same typed results; it never re-implements them.
package tools

import (
	_ "embed"
	"log/slog"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpmend/mcpmend/registry"
)

// Version is mcpmend's version, set by the binary at link time.
var Version = "dev"

//go:embed instructions.md
var instructions string

// Instructions returns the text sent to clients as server instructions.
func Instructions() string { return instructions }

// Deps is what every tool works from. The zero value is not usable: build it
// with NewDeps or fill Env.
type Deps struct {
	Env    registry.Env     // whose machine to inspect
	Logger *slog.Logger     // diagnostics, to stderr only
	Now    func() time.Time // the clock, for cache judgments
	// StartWorker starts the detached apply-pending worker when a reset has
	// to wait for a locked store; nil starts none (the next mcpmend start
	// applies the waiting part). The binary sets it; tests leave it nil.
	StartWorker func(env registry.Env) (pid int, err error)

	bridges bridges // each server's bridge_server mounts; Close ends them
	watched onceSet // client sessions whose end closes their bridges
}

// NewDeps returns Deps for env, with a discarding logger and the real clock
// where none is given.
func NewDeps(env registry.Env, logger *slog.Logger) *Deps {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Deps{Env: env, Logger: logger, Now: time.Now}
}

func (d *Deps) now() time.Time {
	if d.Now == nil {
		return time.Now()
	}
	return d.Now()
}

// NewServer builds mcpmend's MCP server with every tool registered.
func NewServer(d *Deps) *mcp.Server {
	s := mcp.NewServer(&mcp.Implementation{Name: "mcpmend", Title: "mcpmend — diagnose and heal MCP servers", Version: Version},
		&mcp.ServerOptions{Instructions: instructions, Logger: d.Logger})
	for _, add := range toolAdders {
		add(s, d)
	}
	return s
}

// toolAdders registers each tool; every tool file appends its own in init, so
// adding a tool touches only its file.
var toolAdders []func(*mcp.Server, *Deps)

func register(add func(*mcp.Server, *Deps)) { toolAdders = append(toolAdders, add) }

// text wraps a compact, model-readable rendering of a typed result; the typed
// value itself goes out as structuredContent.
func text(s string) *mcp.CallToolResult {
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: s}}}
}

// ptr returns a pointer to b, for the annotations the SDK takes as *bool.
func ptr(b bool) *bool { return &b }
