package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/mcpmend/mcpmend/internal/inert"
	"github.com/mcpmend/mcpmend/tools"
	"github.com/mcpmend/mcpmend/tools/probe"
)

func newProbeCmd(a *app) *cobra.Command {
	var in tools.ProbeServerInput
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "probe NAME | --all",
		Short: "dial a server as its client would and report what it answers",
		Long: `Start a stdio server's command, or send HTTP requests to a remote server, exactly as its client
would, and report each step of the handshake with its timing. --all probes every server the
clients use, concurrently. Exits 1 when any probe did not end ok.`,
		Example: `  mcpmend probe github
  mcpmend probe --all --client cursor --timeout 30s`,
		ValidArgsFunction: a.serverNames,
		Args: func(_ *cobra.Command, args []string) error {
			switch {
			case len(args) > 1:
				return usagef("give one server name or --all, not %q", args)
			case len(args) == 0 && !in.All:
				return usageError{"give a server name (mcpmend probe NAME) or --all"}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				in.Name = args[0]
			}
			in.Timeout = timeout.Seconds()
			bar := newProgressBar(a.stderr)
			out, err := tools.ProbeServerProgress(cmd.Context(), a.deps, in, bar.update)
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
		},
	}
	cmd.Flags().BoolVar(&in.All, "all", false, "probe every configured server, concurrently")
	addClientFlag(cmd, &in.Client, "the client whose definition to dial (with --all: only its servers)")
	addScopeFlag(cmd, &in.Scope, "the scope of the definition to dial (with --all: only that scope)")
	cmd.Flags().DurationVar(&timeout, "timeout", 0, timeoutUsage("each probe"))
	cmd.Flags().BoolVar(&in.AllowSideEffects, "allow-side-effects", false,
		"also start servers that may open a browser or write state of their own (mcp-remote itself, instead of dialling its remote)")
	return cmd
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
