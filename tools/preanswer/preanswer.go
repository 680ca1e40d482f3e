package preanswer

import (
	"bytes"
	"io"
	"os"
	"sync"
	"time"

	"github.com/mcpmend/mcpmend/internal/stamp"
)

// maxLine bounds how much of stdin the pre-answer reads looking for the
// end of a line; a longer line is left to go-sdk.
const maxLine = 64 << 10

// Off is the environment variable that turns the pre-answer off
// (MCPMEND_PREANSWER=off): go-sdk then answers initialize itself, as it
// answers everything else.
const Off = "MCPMEND_PREANSWER"

// early is the pre-answer Start began for `mcpmend serve`; nil for every
// other command.
var early *state

// Start begins the pre-answer when args (the command line without the
// program name) run `mcpmend serve` on stdio and MCPMEND_PREANSWER is not
// "off": a goroutine reads in and writes what it answers to out. The binary
// calls it from the init of a package initialized as early as this one
// (cmd/mcpmend/internal/early), with the process's stdin and stdout: the
// streams are the binary's to hand out, and out carries nothing but
// protocol. Call it once, before Streams.
//
// This package imports only what package os needs, bytes, and
// internal/stamp (which imports nothing): Go initializes a package once
// its imports are, taking the first by import path among those ready, so
// importing strings, strconv, fmt or runtime/debug would delay the
// pre-answer's start until after most of the standard library
// (TestEarlyImports). That is also why an unstamped version comes through
// ProvideVersion.
func Start(args []string, in io.Reader, out io.Writer) {
	if wanted(args) && os.Getenv(Off) != "off" {
		early = start(in, out, awaitVersion)
	}
}

var (
	versionOnce  sync.Once
	versionReady = make(chan struct{})
	versionFunc  func() string
)

// ProvideVersion gives the pre-answer the function that returns the
// build's version (serverInfo.version). internal/buildinfo calls it from
// its init: runtime/debug, which reads an unstamped build's version, is
// initialized late.
// The pre-answer waits for it only once it has a request to answer.
func ProvideVersion(f func() string) {
	versionOnce.Do(func() {
		versionFunc = f
		close(versionReady)
	})
}

// awaitVersion is the build's version: a stamped one at once (as
// buildinfo.Describe, a stamp other than "(devel)" is the version), else
// once internal/buildinfo is initialized.
func awaitVersion() string {
	if v := stamp.Version; v != "" && v != "(devel)" {
		return v
	}
	<-versionReady
	return versionFunc()
}

// wanted reports whether args run `mcpmend serve` on stdio: serve first
// (how clients register it), and no help, which prints to stdout.
func wanted(args []string) bool {
	if len(args) == 0 || args[0] != "serve" {
		return false
	}
	for _, a := range args[1:] {
		if a == "-h" || a == "--help" || a == "--" {
			return false
		}
	}
	return true
}

// state is one pre-answer: what it read from stdin, handed on to go-sdk a
// line at a time, and the responses it wrote.
type state struct {
	// feed carries the bytes read from stdin to go-sdk (replay), each line
	// once the pre-answer is done with it; closed after the last, once err
	// is set. Buffered beyond the few sends run makes, so run never waits.
	feed chan []byte
	err  error // the read error that ended reading, if any
	// settled is closed once run has finished and go-sdk has written (and
	// filter dropped) its response to every pre-answered request.
	settled    chan struct{}
	settleOnce sync.Once

	mu       sync.Mutex
	pending  []answered // pre-answered requests whose go-sdk response is still to come
	finished bool       // run has returned: pending only shrinks now
}

// answered is one pre-answered request.
type answered struct {
	// prefix starts go-sdk's own response to the request
	// (`{"jsonrpc":"2.0","id":ID,`).
	prefix []byte
	sent   []byte // the pre-answer as written
	// exact: drop only a response equal to sent (server/discover,
	// tools/list; see filter)
	exact bool
}

// start reads the first lines of in in a goroutine and pre-answers what it
// can answer exactly as go-sdk would (see the package doc); version is
// called only then.
func start(in io.Reader, out io.Writer, version func() string) *state {
	s := &state{feed: make(chan []byte, 8), settled: make(chan struct{})}
	go s.run(in, out, version)
	return s
}

func (s *state) settle() { s.settleOnce.Do(func() { close(s.settled) }) }

// settleTimeout bounds how long the end of stdin is held back from go-sdk
// waiting for its responses to the pre-answered requests.
const settleTimeout = 5 * time.Second

// awaitSettled waits until go-sdk has answered the pre-answered requests.
// The end of stdin reaches go-sdk only then: a client that has its answers
// may close stdin at once (claude mcp list does), and go-sdk, seeing the
// end before it handled the initialize, would refuse it as closing and log
// the initialized that follows as an error. So go-sdk sees the session
// it would have seen without the pre-answer.
func (s *state) awaitSettled() {
	t := time.NewTimer(settleTimeout)
	defer t.Stop()
	select {
	case <-s.settled:
	case <-t.C:
	}
}

// run pre-answers a first server/discover and a tools/list of the same
// protocol right after it, or a first initialize and then, after
// notifications/initialized if it comes first, a plain tools/list; it
// stops at the first line it does not answer, which go-sdk then reads with
// everything else. Each line goes on to go-sdk as soon as its pre-answer
// is written (or it is known not to be answered): go-sdk handles it while
// the client reads the answer and writes its next line, and never waits
// for that line.
func (s *state) run(in io.Reader, out io.Writer, version func() string) {
	r := &lineReader{in: in, buf: make([]byte, 0, 4<<10)}
	defer func() {
		s.pass(r.rest()) // the line not answered, and whatever followed it
		s.err = r.err
		s.mu.Lock()
		s.finished = true
		if len(s.pending) == 0 {
			s.settle()
		}
		s.mu.Unlock()
		close(s.feed)
	}()
	line, ok := r.next()
	if !ok {
		return
	}
	if id, ok := parseDiscover(line); ok {
		if !s.answer(out, r, id, discoverResponse(id, version()), true) {
			return
		}
		if line, ok = r.next(); ok {
			if id, ok := parseStatelessToolsList(line); ok {
				s.answer(out, r, id, statelessToolsListResponse(id, version()), true)
			}
		}
		return
	}
	req, ok := parseInitialize(line)
	if !ok || !s.answer(out, r, req.id, response(req.id, req.protocolVersion, version()), false) {
		return
	}
	if line, ok = r.next(); ok && isInitialized(line) {
		s.pass(r.handled())
		line, ok = r.next()
	}
	if !ok {
		return
	}
	if id, ok := parseToolsList(line); ok {
		s.answer(out, r, id, toolsListResponse(id), true)
	}
}

// answer writes the pre-answer resp to the line r returned last, then
// hands that line to go-sdk (which so cannot write its own response
// first); false when it could not write (go-sdk then answers, and meets
// the same error).
func (s *state) answer(out io.Writer, r *lineReader, id, resp []byte, exact bool) bool {
	if _, err := out.Write(resp); err != nil {
		return false
	}
	prefix := append([]byte(`{"jsonrpc":"2.0","id":`), id...)
	s.mu.Lock()
	s.pending = append(s.pending, answered{prefix: append(prefix, ','), sent: resp, exact: exact})
	s.mu.Unlock()
	s.pass(r.handled())
	return true
}

// pass hands b, bytes read from stdin, on to go-sdk.
func (s *state) pass(b []byte) {
	if len(b) > 0 {
		s.feed <- b
	}
}

// lineReader reads stdin a line at a time, keeping every byte it read
// until it is handed on.
type lineReader struct {
	in    io.Reader
	buf   []byte
	given int // buf[:given] was handed on
	off   int // the start of the next line in buf
	err   error
}

// next returns the next line without its '\n'; false at a read error or
// a line longer than maxLine.
func (r *lineReader) next() ([]byte, bool) {
	for {
		if i := bytes.IndexByte(r.buf[r.off:], '\n'); i >= 0 {
			line := r.buf[r.off : r.off+i]
			r.off += i + 1
			return line, true
		}
		if r.err != nil || len(r.buf)-r.off >= maxLine {
			return nil, false
		}
		if len(r.buf) == cap(r.buf) {
			r.buf = append(r.buf, make([]byte, cap(r.buf))...)[:len(r.buf)]
		}
		n, err := r.in.Read(r.buf[len(r.buf):cap(r.buf)])
		r.buf, r.err = r.buf[:len(r.buf)+n], err
	}
}

// handled returns a copy of the bytes not yet handed on up to the end of
// the line next returned last, its '\n' included.
func (r *lineReader) handled() []byte {
	b := append([]byte(nil), r.buf[r.given:r.off]...)
	r.given = r.off
	return b
}

// rest returns a copy of every byte read and not yet handed on.
func (r *lineReader) rest() []byte {
	b := append([]byte(nil), r.buf[r.given:]...)
	r.given = len(r.buf)
	return b
}

// Streams returns the stdin and stdout `mcpmend serve` must hand to go-sdk.
// Without a pre-answer they are stdin and stdout. With one, stdin is read
// again from its first byte (go-sdk sees every message, the pre-answered
// initialize included, and its session goes through the handshake as
// usual), and go-sdk's own response to that initialize is not written:
// the client already has the same bytes. Should go-sdk's response differ,
// warn is told; the client keeps the pre-answer.
func Streams(stdin io.Reader, stdout io.Writer, warn func(msg string)) (io.Reader, io.Writer) {
	if early == nil {
		return stdin, stdout
	}
	return early.streams(stdin, stdout, warn)
}

func (s *state) streams(stdin io.Reader, stdout io.Writer, warn func(string)) (io.Reader, io.Writer) {
	return &replay{s: s, in: stdin}, &filter{s: s, w: stdout, warn: warn}
}

// replay is stdin as go-sdk reads it: what the pre-answer read, each line
// as soon as the pre-answer is done with it, then the rest of stdin (or
// the error that ended the pre-answer's reading).
type replay struct {
	s       *state
	in      io.Reader
	buf     []byte
	err     error
	drained bool // feed is closed and read
}

func (r *replay) Read(p []byte) (int, error) {
	for len(r.buf) == 0 && !r.drained {
		b, ok := <-r.s.feed
		r.buf = b
		if !ok {
			r.drained, r.err = true, r.s.err
		}
	}
	if len(r.buf) > 0 {
		n := copy(p, r.buf)
		r.buf = r.buf[n:]
		return n, nil
	}
	if r.err == nil {
		n, err := r.in.Read(p)
		if err == nil || n > 0 {
			r.err = err
			return n, nil
		}
		r.err = err
	}
	r.s.awaitSettled() // see awaitSettled
	return 0, r.err
}

// filter is stdout as go-sdk writes it: go-sdk's own responses to the
// pre-answered requests are dropped (go-sdk writes one message per Write).
// A request is pending before go-sdk can read it, so its response always
// finds it. For initialize, the first response go-sdk writes with its id:
// go-sdk handles initialize before it reads the next message, so no other
// response with that id can come first. For server/discover and tools/list,
// which go-sdk handles concurrently with later requests, the first response
// with its id that is byte for byte the pre-answer: a response to a later
// request reusing the id (the client has its answer, so it may) passes.
type filter struct {
	s    *state
	w    io.Writer
	warn func(string)
}

func (f *filter) Write(p []byte) (int, error) {
	if f.drop(p) {
		return len(p), nil
	}
	return f.w.Write(p)
}

func (f *filter) drop(p []byte) bool {
	s := f.s
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, a := range s.pending {
		rest, ok := bytes.CutPrefix(p, a.prefix)
		if !ok || !bytes.HasPrefix(rest, []byte(`"result":`)) && !bytes.HasPrefix(rest, []byte(`"error":`)) {
			continue
		}
		equal := bytes.Equal(p, a.sent)
		if a.exact && !equal {
			continue // a later request that reused the id
		}
		if !equal && f.warn != nil {
			f.warn("the pre-answered initialize result differs from go-sdk's (" + string(p) + "); the client has " + string(a.sent) +
				"; run with " + Off + "=off and report it")
		}
		s.pending = append(s.pending[:i:i], s.pending[i+1:]...)
		if len(s.pending) == 0 && s.finished {
			s.settle()
		}
		return true
	}
	return false
}
