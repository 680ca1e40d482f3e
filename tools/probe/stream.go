package probe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"time"

	"github.com/mcpmend/mcpmend/registry"
)

// Over streamable HTTP a client may open a standalone GET stream on which
// the server sends messages outside any request, and it ends its session
// with a DELETE. Claude Code (2.1.328, measured against a logging server)
// opens the stream only once notifications/initialized was accepted,
// beside tools/list, and never waits for it: a server whose stream fails —
// a 500, a reset, headers that never come — is "Connected" in `claude mcp
// list`. It sends no DELETE at all. go-sdk's client opens the stream
// before Connect returns and fails the session when it fails, so a probe
// through it waited one more round trip on every server, the whole timeout
// on one that never answered the GET, and blamed a healthy server for a
// failed stream (TestStandaloneStreamAsClaudeCode).
//
// So the probe turns go-sdk's stream off and the recorder opens it as
// Claude Code does: after initialized, not awaited. What it answered by the
// session's end is evidence and, when it failed, a note; it never decides
// a verdict (decisive skips it). A stream that had not answered by then is
// closed unremarked: waiting for it is what this avoids. The session's
// DELETE is still sent, as a polite client ends its session, but only its
// sending is waited for: the verdict is settled before it, and a server
// 300 ms away would cost the probe one more round trip for nothing.

// streamExchange reports whether e is the standalone GET stream of a
// streamable HTTP server (or a redirect on its way): evidence, never a
// verdict nor a transient failure of the session.
func streamExchange(e Exchange, t registry.Transport) bool {
	return e.Method == http.MethodGet && t == registry.HTTP
}

// errNotAwaited ends the stream's request when the session is over.
var errNotAwaited = errors.New("not answered before the session ended (not awaited, as by Claude Code)")

// deleteWait bounds the DELETE that ends a session, which outlives the
// probe.
const deleteWait = 5 * time.Second

// stream is the recorder's standalone GET stream.
type stream struct {
	mu     sync.Mutex
	ended  bool // endStream ran: a late initialized opens nothing
	cancel context.CancelCauseFunc
	done   chan struct{} // closed when the GET returned; nil until opened
	resp   *http.Response
	err    error
}

// openStream sends the standalone GET in the background, with the MCP
// headers of post (the accepted notifications/initialized), through the
// probe's client so that redirects and configured headers are as for any
// request.
func (r *recorder) openStream(post *http.Request) {
	if r.client == nil {
		return
	}
	r.st.mu.Lock()
	defer r.st.mu.Unlock()
	if r.st.ended || r.st.done != nil {
		return
	}
	ctx, cancel := context.WithCancelCause(r.life)
	get, err := http.NewRequestWithContext(ctx, http.MethodGet, post.URL.String(), nil)
	if err != nil {
		cancel(err)
		return
	}
	for k, vs := range post.Header {
		get.Header[k] = append([]string(nil), vs...)
	}
	get.Header.Del("Content-Type")
	get.Header.Set("Accept", "text/event-stream")
	done := make(chan struct{})
	r.st.cancel, r.st.done = cancel, done
	go func() {
		resp, err := r.client.Do(get)
		r.st.mu.Lock()
		r.st.resp, r.st.err = resp, err
		r.st.mu.Unlock()
		close(done)
		if r.streamHook != nil {
			r.streamHook()
		}
	}()
}

// endStream closes the stream, answered or not, and returns what a note
// should say about it: "" when it opened, was refused with 405 (no stream
// offered), or had not answered when the session ended.
func (r *recorder) endStream() string {
	r.st.mu.Lock()
	r.st.ended = true
	done, cancel := r.st.done, r.st.cancel
	r.st.mu.Unlock()
	if done == nil {
		return ""
	}
	select {
	case <-done:
	default:
		cancel(errNotAwaited)
		<-done
		if resp, _ := r.streamResult(); resp != nil {
			resp.Body.Close()
		}
		return ""
	}
	cancel(errNotAwaited)
	resp, err := r.streamResult()
	if err != nil {
		if r.life.Err() != nil {
			return "" // the probe's time ran out: its verdict says so
		}
		return "the GET stream for the server's own messages failed (" + r.scrub(err.Error()) + ")"
	}
	resp.Body.Close()
	if _, why := streamAnswer(resp, func(ct string) string { return inert(r.scrubSecrets(ct), false) }); why != "" {
		return "the GET stream for the server's own messages " + why
	}
	return ""
}

// streamAnswer judges the answer to a standalone GET: open when it is an
// event stream, else why not ("" for a 405: §2.2.3, the server offers no
// stream there). ct renders the content type for the message.
func streamAnswer(resp *http.Response, ct func(string) string) (open bool, why string) {
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	switch {
	case resp.StatusCode == http.StatusMethodNotAllowed:
		return false, ""
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return false, strings.TrimSpace(fmt.Sprintf("answered %d %s", resp.StatusCode, http.StatusText(resp.StatusCode)))
	case mt != "text/event-stream":
		return false, fmt.Sprintf("answered %d with content type %q, not text/event-stream", resp.StatusCode, ct(resp.Header.Get("Content-Type")))
	}
	return true, ""
}

// streamResult is what the GET returned, once done is closed.
func (r *recorder) streamResult() (*http.Response, error) {
	r.st.mu.Lock()
	defer r.st.mu.Unlock()
	return r.st.resp, r.st.err
}

// streamNote is the note for a failed stream: what it costs, and that the
// session works without it.
func streamNote(what string) string {
	return what + "; Claude Code goes on without the stream (it lists such a server as Connected) and so did this probe, but the server's messages outside a request, such as list_changed notifications, do not reach the client"
}

// sendDelete sends the DELETE that ends the session and returns once it is
// written: a 204 stands in for the answer, which is read (and the
// connection closed) in the background, on a life of its own bounded by
// deleteWait, since the probe's ends when this returns. The exchange is
// recorded as sent and not awaited. A DELETE that could not be written
// returns what the transport said, as usual; the wait for its writing ends
// with the probe's (or the SDK's) deadline.
func (r *recorder) sendDelete(out *http.Request, e Exchange) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(out.Context()), deleteWait)
	wrote := make(chan error, 1)
	trace := &httptrace.ClientTrace{WroteRequest: func(i httptrace.WroteRequestInfo) {
		select {
		case wrote <- i.Err:
		default:
		}
	}}
	del := out.Clone(httptrace.WithClientTrace(ctx, trace))
	del.Close = true // the session's last request: its connection goes with it
	type answer struct {
		resp *http.Response
		err  error
	}
	answered := make(chan answer, 1)
	start := time.Now()
	go func() {
		defer cancel()
		resp, err := r.base.RoundTrip(del)
		if err == nil {
			io.Copy(io.Discard, io.LimitReader(resp.Body, endBodyKeep))
			resp.Body.Close()
		}
		answered <- answer{resp, err}
	}()
	var a answer
	select {
	case err := <-wrote:
		if err == nil {
			e.MS, e.NotAwaited = ms(time.Since(start)), true
			r.add(e, nil)
			return &http.Response{Status: "204 No Content", StatusCode: http.StatusNoContent, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
				Header: http.Header{}, Body: http.NoBody, Request: out}, nil
		}
		a = <-answered
	case a = <-answered:
	case <-out.Context().Done():
		// the probe is over (its deadline, or the SDK's own for the
		// DELETE): not waited for any longer, as before
		a.err = out.Context().Err()
	}
	e.MS = ms(time.Since(start))
	if a.err != nil {
		e.Error = r.scrub(a.err.Error())
		r.add(e, a.err)
		return nil, a.err
	}
	r.describe(&e, out, a.resp)
	r.add(e, nil)
	a.resp.Body = http.NoBody
	return a.resp, nil
}
