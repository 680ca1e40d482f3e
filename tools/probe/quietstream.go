package probe

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
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
// quietStream stands between go-sdk and the server for those GETs. go-sdk
// is answered at once with an event stream whose body is the server's
// stream once it opened, or silence when it did not: a failed stream
// becomes one that says nothing, never a failed session, as in Claude
// Code. When an opened stream ends, go-sdk reconnects as it would
// (resuming from its last event where the server gave ids) up to
// maxStreamReopens times in the session; after that the stream stays
// quiet, since go-sdk fails the session once a stream ended more than its
// retry budget (5) without new events.

// maxStreamReopens is how many times a session's opened stream may end
// and be reopened by go-sdk before it is kept quiet.
const maxStreamReopens = 3

// quietStream is the RoundTripper of a kept session over streamable HTTP.
type quietStream struct {
	base  http.RoundTripper
	log   *slog.Logger
	scrub func(string) string

	mu      sync.Mutex
	reopens int  // opened streams that ended
	noted   bool // a failure was logged: one line per session
}

func (q *quietStream) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet {
		return q.base.RoundTrip(req)
	}
	ctx, cancel := context.WithCancel(req.Context())
	b := &lateBody{q: q, ctx: ctx, cancel: cancel, ready: make(chan struct{})}
	go b.open(req.WithContext(ctx))
	return &http.Response{Status: "200 OK", StatusCode: http.StatusOK, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": {"text/event-stream"}}, Body: b, ContentLength: -1, Request: req}, nil
}

// note logs, once a session, why its stream is quiet.
func (q *quietStream) note(why string) {
	q.mu.Lock()
	first := !q.noted
	q.noted = true
	q.mu.Unlock()
	if first {
		q.log.Warn("the server's GET stream is kept quiet: its own notifications (list_changed) will not arrive; the session goes on without it, as in Claude Code",
			"why", q.scrub(why))
	}
}

// reopened counts an opened stream that ended and reports whether go-sdk
// may reopen it.
func (q *quietStream) reopened() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.reopens++
	return q.reopens <= maxStreamReopens
}

// lateBody is the body go-sdk reads: the server's stream once it opened,
// silence (until the session ends) when it did not.
type lateBody struct {
	q      *quietStream
	ctx    context.Context
	cancel context.CancelFunc
	ready  chan struct{} // closed once open returned

	mu     sync.Mutex
	real   io.ReadCloser // the opened stream; nil when it failed
	closed bool
	quiet  bool  // the opened stream ended past the reopen budget
	ended  error // how the opened stream ended, within the budget
}

// open sends the GET and keeps its answer when it is an event stream.
func (b *lateBody) open(req *http.Request) {
	defer close(b.ready)
	resp, err := b.q.base.RoundTrip(req)
	why := ""
	switch {
	case err != nil:
		why = err.Error()
	case resp.StatusCode == http.StatusMethodNotAllowed:
		// §2.2.3: the server offers no stream; nothing to say
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		why = fmt.Sprintf("it answered %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	default:
		if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "text/event-stream" {
			why = fmt.Sprintf("it answered %d with content type %q", resp.StatusCode, inert(strings.TrimSpace(resp.Header.Get("Content-Type")), false))
			break
		}
		b.mu.Lock()
		if !b.closed {
			b.real, resp = resp.Body, nil
		}
		b.mu.Unlock()
	}
	if resp != nil {
		io.Copy(io.Discard, io.LimitReader(resp.Body, endBodyKeep))
		resp.Body.Close()
	}
	if why != "" && b.ctx.Err() == nil {
		b.q.note(why)
	}
}

func (b *lateBody) Read(p []byte) (int, error) {
	select {
	case <-b.ready:
	case <-b.ctx.Done():
		return 0, b.ctx.Err()
	}
	b.mu.Lock()
	real, quiet, ended := b.real, b.quiet, b.ended
	b.mu.Unlock()
	switch {
	case real == nil || quiet:
		<-b.ctx.Done()
		return 0, b.ctx.Err()
	case ended != nil:
		return 0, ended // go-sdk drains a body it is done with
	}
	n, err := real.Read(p)
	switch {
	case err == nil || b.ctx.Err() != nil:
		return n, err
	case n > 0:
		return n, nil // the end again at the next Read, counted there
	}
	reopen := b.q.reopened()
	b.mu.Lock()
	if reopen {
		b.ended = err
	} else {
		b.quiet = true
	}
	b.mu.Unlock()
	if !reopen {
		b.q.note(fmt.Sprintf("it ended %d times", maxStreamReopens+1))
	}
	return b.Read(p) // go-sdk reconnects on the end, with the last event's id
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
