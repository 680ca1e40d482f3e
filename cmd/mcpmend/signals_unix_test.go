//go:build unix

package main

import (
	"bytes"
	"context"
	"os"
	"syscall"
	"testing"
	"time"
)

// TestNotifyContext delivers real signals to this process: the first
// cancels with a cause that maps to 128+N, the second calls exit at once.
func TestNotifyContext(t *testing.T) {
	exited := make(chan int, 1)
	var errb bytes.Buffer
	ctx, stop := notifyContext(context.Background(), &errb, func(code int) { exited <- code })
	defer stop()
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Skip("cannot signal self:", err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("SIGHUP did not cancel")
	}
	if code, ok := signalExit(ctx); !ok || code != 129 {
		t.Errorf("after SIGHUP: exit %d %v, want 129", code, ok)
	}
	syscall.Kill(os.Getpid(), syscall.SIGTERM)
	select {
	case code := <-exited:
		if code != 143 {
			t.Errorf("second signal SIGTERM: exit %d, want 143", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the second signal did not exit")
	}
}
