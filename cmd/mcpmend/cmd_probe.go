package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/mattn/go-isatty"

	"github.com/mcpmend/mcpmend/internal/inert"
	"github.com/mcpmend/mcpmend/tools"
	"github.com/mcpmend/mcpmend/tools/probe"
)

func init() {
	commands["probe"] = command{"dial a server as its client would and report what it answers", runProbe}
}

// runProbe is `mcpmend probe NAME [--client C] [--scope S] [--timeout D]`
// or `mcpmend probe --all`: probe_server for a person. It exits 1 when any
// probe did not end ok, so scripts can gate on it.
func runProbe(ctx context.Context, a *app, args []string) error {
	fs := newFlagSet("probe", a.stderr)
	var in tools.ProbeServerInput
	fs.BoolVar(&in.All, "all", false, "probe every configured server, concurrently")
	fs.StringVar(&in.Client, "client", "", "the client whose definition to dial (with --all: only its servers)")
	fs.StringVar(&in.Scope, "scope", "", "the scope of the definition to dial (with --all: only that scope)")
	timeout := fs.Duration("timeout", 0, "how long each probe may take, e.g. 30s (default 15s)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) > 1:
		return fmt.Errorf("give one server name or --all, not %q", pos)
	case len(pos) == 1:
		in.Name = pos[0]
	case !in.All:
		return fmt.Errorf("give a server name (mcpmend probe NAME) or --all")
	}
	in.Timeout = timeout.Seconds()
	bar := newProgressBar(a.stderr)
	out, err := tools.ProbeServerProgress(ctx, a.deps, in, bar.update)
	bar.finish()
	if err != nil {
		return err
	}
	if err := a.emit(out, out.Text()); err != nil {
		return err
	}
	if out.Failed > 0 {
		return exitError{1}
	}
	return nil
}

// progressBar draws probes' progress on a terminal's stderr, on one line it
// clears when done. It draws nothing when stderr is not a terminal, so
// piped output and logs stay clean.
type progressBar struct {
	mu  sync.Mutex
	w   io.Writer
	on  bool
	bad int
}

func newProgressBar(w io.Writer) *progressBar {
	b := &progressBar{w: w}
	if f, ok := w.(*os.File); ok {
		b.on = isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
	}
	if b.on {
		fmt.Fprint(w, "probing…")
	}
	return b
}

const barWidth = 24

func (b *progressBar) update(done, total int, r probe.Result) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if r.Verdict.Failed() {
		b.bad++
	}
	if !b.on {
		return
	}
	fill := barWidth * done / max(total, 1)
	fmt.Fprintf(b.w, "\r\033[K[%s%s] %d/%d, %d failed — %s: %s", strings.Repeat("#", fill), strings.Repeat(".", barWidth-fill),
		done, total, b.bad, inert.Line(r.Name), r.Verdict)
}

func (b *progressBar) finish() {
	if b.on {
		fmt.Fprint(b.w, "\r\033[K")
	}
}
