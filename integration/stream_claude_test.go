package integration

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// TestProbeStreamAsClaudeCode: servers whose standalone GET stream fails —
// a 500 event stream, an answer that is not HTTP, headers that never come —
// are Connected in the real Claude Code CLI's `claude mcp list`, and
// `mcpmend probe` says ok with a note about the stream (before, it said
// server_error, protocol_error and timeout). It also pins what the probe's
// way of dialling rests on, as the servers saw it: Claude Code opens the
// stream only after notifications/initialized and ends no session with a
// DELETE; the probe sends its DELETE and the servers receive it.
func TestProbeStreamAsClaudeCode(t *testing.T) {
	claude := npmBin(t, "claude")
	gets := map[string]http.HandlerFunc{
		// Both answer on the bare connection and return once the client,
		// having read the answer, closes it: what the stream did is then
		// known to the client before tools/list is let through.
		"get-500": func(w http.ResponseWriter, r *http.Request) {
			answerAndWait(w, "HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/event-stream\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
		},
		"get-not-http": func(w http.ResponseWriter, r *http.Request) {
			answerAndWait(w, "garbage\r\n\r\n")
		},
		"get-never": func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() },
	}
	home := t.TempDir()
	servers := map[string]any{}
	logs := map[string]*methodLog{}
	for name, get := range gets {
		l := &methodLog{}
		logs[name] = l
		servers[name] = map[string]any{"type": "http", "url": streamServer(t, l, get, name == "get-never") + "/mcp"}
	}
	writeClaudeJSON(t, home, servers)

	out := runClaude(t, claude, home, home, false, "mcp", "list")
	for name, l := range logs {
		if !strings.Contains(out, name+": ") || !strings.Contains(lineOf(out, name+": "), "Connected") {
			t.Errorf("claude mcp list does not say %s is Connected:\n%s", name, out)
		}
		seq := l.take()
		if i, j := slices.Index(seq, "GET"), slices.Index(seq, "notifications/initialized"); i >= 0 && (j < 0 || i < j) {
			t.Errorf("%s: Claude Code sent the GET before notifications/initialized: %q", name, seq)
		}
		if slices.Contains(seq, "DELETE") {
			t.Errorf("%s: Claude Code sent a DELETE: %q (the probe's design says it sends none)", name, seq)
		}
	}

	stdout, stderr, code := runCLI(t, home, "probe", "--json", "--all")
	var res struct {
		Results []struct {
			Name, Verdict, Summary string
			Notes                  []string
		}
	}
	if err := json.Unmarshal([]byte(stdout), &res); err != nil || code != 0 || len(res.Results) != len(gets) {
		t.Fatalf("probe --all: exit %d, %v\nstdout: %s\nstderr: %s", code, err, stdout, stderr)
	}
	for _, r := range res.Results {
		notes := strings.Join(r.Notes, "\n")
		if r.Verdict != "ok" {
			t.Errorf("%s: verdict %s (%s), want ok as in Claude Code", r.Name, r.Verdict, r.Summary)
		}
		if r.Name != "get-never" && !strings.Contains(notes, "GET stream") {
			t.Errorf("%s: no note about the stream in %q", r.Name, notes)
		}
	}
	for name, l := range logs {
		if !l.wait("DELETE") {
			t.Errorf("%s: the probe's DELETE never arrived: %q", name, l.take())
		}
	}
}

// answerAndWait writes raw on w's connection and waits (at most 3 s) for
// the client to close it.
func answerAndWait(w http.ResponseWriter, raw string) {
	c, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	defer c.Close()
	io.WriteString(c, raw)
	c.SetReadDeadline(time.Now().Add(3 * time.Second))
	io.Copy(io.Discard, c)
}

// methodLog is the sequence of requests a server received: the JSON-RPC
// method of a POST, else the HTTP method.
type methodLog struct {
	mu  sync.Mutex
	seq []string
}

func (l *methodLog) add(what string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seq = append(l.seq, what)
}

// take returns the sequence so far and starts a new one.
func (l *methodLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.seq
	l.seq = nil
	return s
}

// wait reports whether what is in the sequence within 10 s.
func (l *methodLog) wait(what string) bool {
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		l.mu.Lock()
		found := slices.Contains(l.seq, what)
		l.mu.Unlock()
		if found || time.Now().After(end) {
			return found
		}
	}
}

// lineOf is the line of out that contains s.
func lineOf(out, s string) string {
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, s) {
			return line
		}
	}
	return ""
}

// streamServer serves a go-sdk MCP server over streamable HTTP on loopback
// whose GET requests get handles instead, logging every request. Each
// tools/list waits (at most 3 s) until its own session's GET was handled
// (or, when never answered, arrived), so that what the stream did is known
// before a client's session ends however loaded the machine. The wait is
// per session: Claude Code retries a failed GET, so a count shared by the
// sessions let a later client's tools/list through before its GET.
func streamServer(t *testing.T, l *methodLog, get http.HandlerFunc, never bool) string {
	var mu sync.Mutex
	cond := sync.NewCond(&mu)
	handled := map[string]bool{} // by Mcp-Session-Id
	mark := func(session string) {
		mu.Lock()
		handled[session] = true
		cond.Broadcast()
		mu.Unlock()
	}
	h := noopHandler("stream")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		what := r.Method
		if msg, err := jsonrpc.DecodeMessage(body); err == nil {
			if rq, ok := msg.(*jsonrpc.Request); ok {
				what = rq.Method
			}
		}
		l.add(what)
		session := r.Header.Get("Mcp-Session-Id")
		if r.Method == http.MethodGet {
			if never {
				mark(session)
			}
			get(w, r)
			if !never {
				mark(session)
			}
			return
		}
		if what == "tools/list" {
			mu.Lock()
			timer := time.AfterFunc(3*time.Second, cond.Broadcast)
			for start := time.Now(); !handled[session] && time.Since(start) < 3*time.Second; {
				cond.Wait()
			}
			timer.Stop()
			mu.Unlock()
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
