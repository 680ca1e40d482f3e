package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"os"

	"github.com/lmittmann/tint"
	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/mcpmend/mcpmend/internal/inert"
	"github.com/mcpmend/mcpmend/internal/jsonindent"
	"github.com/mcpmend/mcpmend/registry"
	"github.com/mcpmend/mcpmend/tools"
)

// global holds the flags every command accepts, before or after its name.
type global struct {
	json     bool
	home     string
	logLevel string
	asOwner  bool // --as-owner, on the commands that write stores
}

// app is what a command runs with: the parsed global flags, the streams and
// the tools' dependencies (built by init once the flags are parsed).
type app struct {
	g      global
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	deps   *tools.Deps
	// restoreHeap undoes prepareHeap's setting of GOGC once the command
	// is done (nil: nothing to undo); tests run many commands in one
	// process.
	restoreHeap func()
}

func newApp(stdin io.Reader, stdout, stderr io.Writer) *app {
	return &app{g: global{logLevel: "warn"}, stdin: stdin, stdout: stdout, stderr: stderr}
}

// init builds the tools' dependencies from the global flags; once.
func (a *app) init() {
	if a.deps != nil {
		return
	}
	env := registry.OSEnv()
	if a.g.home != "" {
		env = env.WithHome(a.g.home)
	}
	env.AsOwner = a.g.asOwner
	a.deps = tools.NewDeps(env, newLogger(a.g, a.stderr))
	a.deps.StartWorker = spawnWorker // a reset waiting for a locked store hands it to apply-pending
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
	return a.emitFunc(v, func() string { return text })
}

// emitFunc is emit with the text rendered only when it is printed: for a
// large configuration (list of 15,000 servers) rendering the text that
// --json never shows cost a quarter of the command.
func (a *app) emitFunc(v any, text func() string) error {
	if a.g.json {
		// A result that writes its own indented JSON (list and checkup:
		// 15,000 servers are 9.6 and 45 MB) streams it in chunks as it is
		// encoded, with no reflection and no indenting pass
		// (tools/jsonout).
		if jw, ok := v.(jsonWriter); ok {
			return jw.WriteJSON(a.stdout)
		}
		// The bytes of an Encoder with SetIndent("", "  "), indented by
		// jsonindent (faster than encoding/json's indent). The Encoder
		// hands its buffer over in one Write.
		return json.NewEncoder(indentWriter{a.stdout}).Encode(v)
	}
	// A result that writes its own text (list) streams it, made inert
	// value by value as it is rendered.
	if tw, ok := v.(textWriter); ok {
		return tw.WriteText(a.stdout)
	}
	// Inert: the text carries names, commands and server output.
	_, err := io.WriteString(a.stdout, inert.Text(text()))
	return err
}

// textWriter is a result that writes its text (the one emitFunc is given)
// to w in chunks, every value in it already inert (tools.ListServersOutput).
type textWriter interface {
	WriteText(w io.Writer) error
}

// indentWriter indents each Write, one whole JSON value (see emitFunc).
type indentWriter struct{ w io.Writer }

func (iw indentWriter) Write(p []byte) (int, error) {
	if err := jsonindent.Write(iw.w, p, "", "  "); err != nil {
		return 0, err
	}
	return len(p), nil
}

// jsonWriter is a result that writes itself to w exactly as a json.Encoder
// with SetIndent("", "  ") would (tools.ListServersOutput and
// tools.CheckupOutput).
type jsonWriter interface {
	WriteJSON(w io.Writer) error
}

// addAsOwnerFlag adds --as-owner to a command that writes stores (reset,
// undo, apply-pending, prune, install, uninstall, serve): without it,
// writing a home that belongs to another user than the one mcpmend runs as
// is refused (internal/homeowner).
func addAsOwnerFlag(cmd *cobra.Command, a *app) {
	cmd.Flags().BoolVar(&a.g.asOwner, "as-owner", false,
		"as root, write a home that belongs to another user (sudo, --home), every file keeping that user as its owner")
}
