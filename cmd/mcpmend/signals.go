package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// stopSignals are the signals that stop a command. SIGHUP (the terminal was
// closed) is handled like SIGTERM: the command is cancelled and cleans up
// (a reset finishes or rolls back, locks are released) instead of dying
// mid-write.
var stopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP}

// signalCause is the cancellation cause of a command stopped by a signal.
type signalCause struct{ sig os.Signal }

func (c signalCause) Error() string { return "interrupted by " + signalName(c.sig) }

// exitCode is the shell's convention for death by a signal: 128+N.
func (c signalCause) exitCode() int {
	if s, ok := c.sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 130
}

func signalName(sig os.Signal) string {
	switch sig {
	case os.Interrupt:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGHUP:
		return "SIGHUP"
	}
	return sig.String()
}

// notifyContext returns a context the first stop signal cancels (with a
// signalCause). A second signal exits at once through exit with 128+N, even
// when the command is stuck in cleanup: Ctrl-C twice always works.
func notifyContext(parent context.Context, stderr io.Writer, exit func(int)) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, stopSignals...)
	done := make(chan struct{})
	go func() {
		var first os.Signal
		select {
		case first = <-ch:
		case <-done:
			return
		}
		cancel(signalCause{first})
		select {
		case sig := <-ch:
			fmt.Fprintf(stderr, "mcpmend: second signal (%s): exiting now\n", signalName(sig))
			exit(signalCause{sig}.exitCode())
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel(nil)
	}
}

// signalExit reports the exit code when ctx was cancelled by a signal.
func signalExit(ctx context.Context) (int, bool) {
	var c signalCause
	if errors.As(context.Cause(ctx), &c) {
		return c.exitCode(), true
	}
	return 0, false
}
