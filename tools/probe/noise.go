package probe

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// maxStdioLine bounds one line a stdio server writes (the SDK's default is
// 16 MB): a probe stays small, and a tools/list answer is far below this.
const maxStdioLine = 4 << 20

// noiseKeep is how many skipped lines a result quotes.
const noiseKeep = 5

// noiseLog records stdout lines that are not JSON-RPC messages.
type noiseLog struct {
	mu    sync.Mutex
	lines []string
	total int
}

func (l *noiseLog) add(line []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total++
	if len(l.lines) < noiseKeep {
		const max = 200
		s := string(bytes.TrimSpace(line))
		if len(s) > max {
			s = s[:max] + "…"
		}
		l.lines = append(l.lines, s)
	}
}

func (l *noiseLog) get() ([]string, int) {
	if l == nil {
		return nil, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...), l.total
}

// noiseFilter reads a stdio server's stdout the way the MCP TypeScript SDK
// (Claude Code's) does: one message per line, and a line that does not
// parse as a JSON-RPC message is reported (to onerror there, to the
// noiseLog here) and skipped, not fatal. The go-sdk's reader ends the
// session at the first such line, so the probe filters in front of it.
// It also notes when stdout ends: a process that closed stdout has usually
// exited, and the probe waits for that before deciding whether it crashed.
type noiseFilter struct {
	r       *bufio.Reader
	c       io.Closer
	eof     *atomic.Bool
	log     *noiseLog
	pending []byte // a message line not yet handed on
	err     error  // the read error after pending
}

func newNoiseFilter(r io.ReadCloser, eof *atomic.Bool, log *noiseLog) *noiseFilter {
	return &noiseFilter{r: bufio.NewReaderSize(r, 64<<10), c: r, eof: eof, log: log}
}

// Close closes the server's stdout.
func (f *noiseFilter) Close() error { return f.c.Close() }

var errLongLine = errors.New("line too long")

func (f *noiseFilter) Read(p []byte) (int, error) {
	for len(f.pending) == 0 && f.err == nil {
		line, err := f.readLine()
		switch {
		case errors.Is(err, errLongLine):
			f.log.add([]byte(fmt.Sprintf("(a line of more than %d bytes)", maxStdioLine)))
			err = nil
		case len(bytes.TrimSpace(line)) == 0:
		case isMessage(line):
			if line[len(line)-1] != '\n' {
				line = append(line, '\n')
			}
			f.pending = line
		default:
			f.log.add(line)
		}
		f.err = err
	}
	if len(f.pending) == 0 {
		f.eof.Store(true)
		return 0, f.err
	}
	n := copy(p, f.pending)
	f.pending = f.pending[n:]
	return n, nil
}

// readLine reads one line up to maxStdioLine; a longer one is read to its
// end, dropped, and reported as errLongLine.
func (f *noiseFilter) readLine() ([]byte, error) {
	var line []byte
	for {
		chunk, err := f.r.ReadSlice('\n')
		if len(line)+len(chunk) > maxStdioLine {
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = f.r.ReadSlice('\n')
			}
			if err != nil {
				return nil, err
			}
			return nil, errLongLine
		}
		line = append(line, chunk...)
		if !errors.Is(err, bufio.ErrBufferFull) {
			return line, err
		}
	}
}

// isMessage reports whether a line is a JSON-RPC message (a batch counts
// when it is valid JSON; the SDK then judges it).
func isMessage(line []byte) bool {
	t := bytes.TrimSpace(line)
	switch {
	case len(t) == 0:
		return false
	case t[0] == '[':
		return bytes.HasSuffix(t, []byte("]")) && jsonValid(t)
	case t[0] != '{':
		return false
	}
	_, err := jsonrpc.DecodeMessage(t)
	return err == nil
}
