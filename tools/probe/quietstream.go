package probe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// A session Dial keeps (a bridge) still wants the standalone GET stream:
// it carries the server's notifications/tools/list_changed. But go-sdk's
// client opens it inside Connect, waits for its headers on the session's
// own context (which no handshake deadline reaches) and fails the whole
// session when it fails. So a server whose stream answers 500, answers
// something that is not HTTP, or never answers — each Connected and used
// by Claude Code (stream.go) — could not be bridged, and the last one hung
// the mount for good (TestBridgeThroughAFailingStream).
//
// quietStream stands between go-sdk and the server for the standalone GET
// (only: a GET that resumes a call's answer is go-sdk's own business). It
// answers go-sdk at once with an event stream whose body is the server's
// stream once it opened, or silence when it did not: a stream that fails to
// open becomes one that says nothing, never a failed or hung session, as
// in Claude Code. When an opened stream ends, or a reopen fails, go-sdk
// reconnects as it would (with its backoff, resuming from the last event
// id) until maxStreamReopens ends came in a row without a new event id;
// then the stream stays quiet, since go-sdk fails the session once its own
// count of such ends passes 5. What an opened stream carries is go-sdk's
// to read: an event it cannot parse still fails the session.

// maxStreamReopens is how many ends in a row without a new event id the
// standalone stream may have before it is kept quiet: below go-sdk's 5.
const maxStreamReopens = 3

// standaloneKey marks the context a kept session was connected with:
// go-sdk sends the standalone GET on a context that keeps its values, and
// a call's resumption GET on the call's, which has none.
type standaloneKey struct{}

// quietStream is the RoundTripper of a kept session over streamable HTTP.
type quietStream struct {
	base  http.RoundTripper
	log   *slog.Logger
	scrub func(string) string

	mu      sync.Mutex
	opened  bool   // the first standalone GET was sent
	reopens int    // ends in a row without a new event id
	lastID  string // the last event id at the last end
	noted   bool   // a failure was logged: one line per session
}

// mark returns ctx marked as the context q's session is connected with.
func (q *quietStream) mark(ctx context.Context) context.Context {
	return context.WithValue(ctx, standaloneKey{}, q)
}

func (q *quietStream) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet || req.Context().Value(standaloneKey{}) != q {
		return q.base.RoundTrip(req)
	}
	q.mu.Lock()
	first := !q.opened
	q.opened = true
	q.mu.Unlock()
	ctx, cancel := context.WithCancel(req.Context())
	b := &lateBody{q: q, first: first, ctx: ctx, cancel: cancel, ready: make(chan struct{})}
	go b.open(req.WithContext(ctx))
	return &http.Response{Status: "200 OK", StatusCode: http.StatusOK, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": {"text/event-stream"}}, Body: b, ContentLength: -1, Request: req}, nil
}

// contentType renders a content type the server chose for the log line:
// scrubbed before it is quoted, and short.
func (q *quietStream) contentType(ct string) string {
	return inert(cut(q.scrub(strings.TrimSpace(ct)), 100), false)
}

// note logs, once a session, why its stream is quiet.
func (q *quietStream) note(why string) {
	q.mu.Lock()
	first := !q.noted
	q.noted = true
	q.mu.Unlock()
	if first {
		q.log.Warn("the server's GET stream failed: its own notifications (list_changed) may not arrive; the session goes on, as in Claude Code",
			"why", q.scrub(why))
	}
}

// ended counts an end of the stream (lastID is its last event id) and
// reports whether go-sdk may reopen it.
func (q *quietStream) ended(lastID string) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if lastID != "" && lastID != q.lastID {
		q.lastID, q.reopens = lastID, 0 // progress, as go-sdk counts it
	}
	q.reopens++
	return q.reopens <= maxStreamReopens
}

// lateBody is the body go-sdk reads: the server's stream once it opened,
// silence (until the session ends) when it did not.
type lateBody struct {
	q      *quietStream
	first  bool // the session's first standalone GET, not a reopen
	ctx    context.Context
	cancel context.CancelFunc
	ready  chan struct{} // closed once open returned
	ids    eventIDs      // of the opened stream

	mu     sync.Mutex
	real   io.ReadCloser // the opened stream; nil when it did not open
	none   bool          // 405: the server offers no stream
	closed bool
	quiet  bool  // past the budget: silence until the session ends
	end    error // how the stream ended, within the budget
}

// open sends the GET, following redirects as go-sdk's client would, and
// keeps the answer when it is an event stream.
func (b *lateBody) open(req *http.Request) {
	defer close(b.ready)
	resp, err := (&http.Client{Transport: b.q.base}).Do(req)
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // without the URL, which may carry a credential
	}
	open, why := false, ""
	if err != nil {
		why = err.Error()
	} else if open, why = streamAnswer(resp, b.q.contentType); why != "" {
		why = "it " + why
	}
	switch {
	case open:
		b.mu.Lock()
		if !b.closed {
			b.real, resp = resp.Body, nil
		}
		b.mu.Unlock()
	case why == "":
		b.none = true // 405: the server offers no stream; nothing to say
	}
	if why != "" && b.ctx.Err() == nil {
		b.q.note(why)
	}
	if resp != nil {
		io.Copy(io.Discard, io.LimitReader(resp.Body, endBodyKeep))
		resp.Body.Close()
	}
}

func (b *lateBody) Read(p []byte) (int, error) {
	select {
	case <-b.ready:
	case <-b.ctx.Done():
		return 0, b.ctx.Err()
	}
	b.mu.Lock()
	real, none, quiet, end := b.real, b.none, b.quiet, b.end
	b.mu.Unlock()
	switch {
	case quiet || none || real == nil && b.first:
		// silence: go-sdk's read ends with the session
		<-b.ctx.Done()
		return 0, b.ctx.Err()
	case end != nil:
		return 0, end // go-sdk drains a body it is done with
	case real == nil:
		return 0, b.ended(io.ErrUnexpectedEOF) // a reopen failed: go-sdk tries again, with its backoff
	}
	n, err := real.Read(p)
	b.ids.scan(p[:n])
	switch {
	case err == nil || b.ctx.Err() != nil:
		return n, err
	case n > 0:
		return n, nil // the end again at the next Read, counted there
	}
	return 0, b.ended(err)
}

// ended counts the stream's end and returns it for go-sdk to reopen the
// stream, or, past the budget, keeps the stream quiet.
func (b *lateBody) ended(err error) error {
	if b.q.ended(b.ids.last) {
		b.mu.Lock()
		b.end = err
		b.mu.Unlock()
		return err
	}
	b.q.note(fmt.Sprintf("it ended or failed to reopen %d times in a row with no new event", maxStreamReopens+1))
	b.mu.Lock()
	b.quiet = true
	b.mu.Unlock()
	<-b.ctx.Done()
	return b.ctx.Err()
}

// Close ends the GET, opened or not.
func (b *lateBody) Close() error {
	b.mu.Lock()
	b.closed = true
	real := b.real
	b.mu.Unlock()
	b.cancel()
	if real != nil {
		real.Close()
	}
	return nil
}

// eventIDs follows an event stream's lines for the id of its last
// dispatched event, as go-sdk records it: an "id" field takes effect when
// its event ends with a blank line, and an empty id changes nothing.
type eventIDs struct {
	last    string
	pending string
	line    []byte // the current line, up to maxIDLine bytes
	long    bool   // the current line is longer
	cr      bool   // the last byte was a CR: a LF after it ends nothing
}

// maxIDLine bounds the line kept: an id line is short.
const maxIDLine = 1024

func (e *eventIDs) scan(p []byte) {
	for _, c := range p {
		if c == '\n' && e.cr {
			e.cr = false
			continue
		}
		e.cr = c == '\r'
		if c != '\n' && c != '\r' {
			if len(e.line) < maxIDLine {
				e.line = append(e.line, c)
			} else {
				e.long = true
			}
			continue
		}
		e.endLine()
	}
}

// endLine takes in a whole line.
func (e *eventIDs) endLine() {
	line, long := e.line, e.long
	e.line, e.long = e.line[:0], false
	switch {
	case len(line) == 0:
		if e.pending != "" {
			e.last = e.pending
		}
		e.pending = ""
	case long:
	case string(line) == "id":
		e.pending = ""
	case strings.HasPrefix(string(line), "id:"):
		e.pending = strings.TrimPrefix(string(line)[3:], " ")
	}
}

// cut returns s's first n bytes.
func cut(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
