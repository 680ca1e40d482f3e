// Package wirelog keeps what an mcp.LoggingTransport writes, so that a test
// can read a server's answers byte for byte as they were sent: a client
// decodes structuredContent into a map, which loses the key order and the
// size a model reads on the wire.
package wirelog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// Log is an io.Writer for mcp.LoggingTransport (or anything else a test
// reads while others write: a process's stderr, a logger), safe for the
// writers' goroutines and the test's at once.
type Log struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write keeps p.
func (l *Log) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// String is everything logged so far.
func (l *Log) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// reads are the messages the client read, oldest first.
func (l *Log) reads() []string {
	var out []string
	for _, line := range strings.Split(l.String(), "\n") {
		if _, msg, ok := strings.Cut(line, "read: "); ok {
			out = append(out, msg)
		}
	}
	return out
}

// LastStructured is the structuredContent of the newest tool result read,
// byte for byte as the server sent it.
func (l *Log) LastStructured() (string, error) {
	reads := l.reads()
	for i := len(reads) - 1; i >= 0; i-- {
		msg := reads[i]
		if !strings.Contains(msg, `"structuredContent":`) {
			continue
		}
		var m struct {
			Result struct {
				StructuredContent json.RawMessage `json:"structuredContent"`
			} `json:"result"`
		}
		if err := json.Unmarshal([]byte(msg), &m); err != nil {
			return "", fmt.Errorf("wire: %v: %s", err, msg)
		}
		return string(m.Result.StructuredContent), nil
	}
	return "", errors.New("no structured result on the wire")
}

// Result is the raw "result" of the first response read whose text
// contains marker, byte for byte as the server sent it.
func (l *Log) Result(marker string) ([]byte, error) {
	for _, msg := range l.reads() {
		if !strings.Contains(msg, marker) {
			continue
		}
		var m struct {
			Result json.RawMessage `json:"result"`
		}
		if err := json.Unmarshal([]byte(msg), &m); err != nil {
			return nil, fmt.Errorf("wire: %v: %s", err, msg)
		}
		if m.Result != nil {
			return m.Result, nil
		}
	}
	return nil, fmt.Errorf("no result with %s on the wire", marker)
}
