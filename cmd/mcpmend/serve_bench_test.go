package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"
)

// BenchmarkServeInitialize is `mcpmend serve` from its arguments to its
// initialize result, in process: the command tree, the tools' registration
// and the handshake — the cold start less the runtime's and the packages'
// start-up, which bench/run and integration's BenchmarkColdStart add by
// spawning the binary. Its input ends once the result is out, so serve
// returns.
//
//	go test ./cmd/mcpmend -run '^$' -bench ServeInitialize -benchmem
func BenchmarkServeInitialize(b *testing.B) {
	home := b.TempDir()
	var toResult time.Duration
	const initialize = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}` + "\n"
	for b.Loop() {
		in, feed := io.Pipe()
		out := &resultWatch{done: make(chan struct{})}
		var errb bytes.Buffer
		code := make(chan int, 1)
		start := time.Now()
		go func() { code <- run(context.Background(), []string{"serve", "--home", home}, in, out, &errb) }()
		io.WriteString(feed, initialize)
		<-out.done
		toResult += time.Since(start)
		feed.Close()
		if c := <-code; c != 0 {
			b.Fatalf("exit %d: %s", c, errb.String())
		}
	}
	b.ReportMetric(float64(toResult.Microseconds())/1000/float64(b.N), "ms-to-result/op")
}

// resultWatch is serve's stdout: it closes done once a result is written.
type resultWatch struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	once sync.Once
	done chan struct{}
}

func (w *resultWatch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), `"serverInfo"`) {
		w.once.Do(func() { close(w.done) })
	}
	return len(p), nil
}
