package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"

	"github.com/lmittmann/tint"
	"github.com/mattn/go-isatty"

	"github.com/mcpmend/mcpmend/internal/inert"
	"github.com/mcpmend/mcpmend/registry"
	"github.com/mcpmend/mcpmend/tools"
)

// app is what a command runs with: the parsed global flags, the streams and
// the tools' dependencies.
type app struct {
	g      global
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	deps   *tools.Deps
}

// command is one subcommand.
type command struct {
	summary string
	run     func(ctx context.Context, a *app, args []string) error
}

// commands is filled by each command's file.
var commands = map[string]command{}

func newApp(g global, stdin io.Reader, stdout, stderr io.Writer) *app {
	env := registry.OSEnv()
	if g.home != "" {
		env = env.WithHome(g.home)
	}
	deps := tools.NewDeps(env, newLogger(g, stderr))
	deps.StartWorker = spawnWorker // a reset waiting for a locked store hands it to apply-pending
	return &app{g: g, stdin: stdin, stdout: stdout, stderr: stderr, deps: deps}
}

// newLogger logs through tint to stderr: colour only on a terminal and never
// with NO_COLOR set (tint itself checks neither).
func newLogger(g global, w io.Writer) *slog.Logger {
	level, _ := parseLevel(g.logLevel)
	color := false
	if f, ok := w.(*os.File); ok {
		color = isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
	}
	if os.Getenv("NO_COLOR") != "" {
		color = false
	}
	return slog.New(tint.NewTextHandler(w, &tint.Options{Level: level, NoColor: !color}))
}

// emit prints v as indented JSON under --json, else text.
func (a *app) emit(v any, text string) error {
	if a.g.json {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	// Inert: the text carries names, commands and server output.
	_, err := io.WriteString(a.stdout, inert.Text(text))
	return err
}
