package preanswer_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpmend/mcpmend/registry"
	"github.com/mcpmend/mcpmend/tools"
	"github.com/mcpmend/mcpmend/tools/preanswer"
)

// sdkServer runs a real tools.NewServer (what `mcpmend serve` runs) on
// in and out until in ends.
func sdkServer(t testing.TB, in io.ReadCloser, out io.WriteCloser) <-chan error {
	t.Helper()
	d := tools.NewDeps(registry.OSEnv().WithHome(t.TempDir()), nil)
	done := make(chan error, 1)
	go func() {
		done <- tools.NewServer(d).Run(context.Background(), &mcp.IOTransport{Reader: in, Writer: out})
	}()
	return done
}

var update = flag.Bool("update", false, "rewrite toolslist.json from a real tools.NewServer")

// sdkAnswer is the first line a real tools.NewServer writes for line.
func sdkAnswer(t testing.TB, line string) []byte {
	t.Helper()
	return sdkAnswerAfter(t, "", line)
}

// sdkAnswerAfter is the first line a real tools.NewServer writes for line
// after the lines of before (a handshake, whose answers are skipped).
func sdkAnswerAfter(t testing.TB, before, line string) []byte {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := sdkServer(t, inR, outW)
	go io.WriteString(inW, before+line+"\n")
	got := make(chan []byte, 1)
	go func() {
		r := bufio.NewReader(outR)
		b, _ := r.ReadBytes('\n')
		if before != "" {
			b, _ = r.ReadBytes('\n') // past initialize's result
		}
		got <- b
	}()
	select {
	case b := <-got:
		inW.Close()
		go io.Copy(io.Discard, outR)
		<-done
		return b
	case <-time.After(10 * time.Second):
		t.Fatalf("go-sdk wrote nothing for %s", line)
		return nil
	}
}

// sdkLines is the first n lines a real tools.NewServer writes for input.
func sdkLines(t testing.TB, input string, n int) []string {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := sdkServer(t, inR, outW)
	go io.WriteString(inW, input)
	got := make(chan []string, 1)
	go func() {
		r := bufio.NewReader(outR)
		var lines []string
		for range n {
			b, err := r.ReadString('\n')
			if err != nil {
				break
			}
			lines = append(lines, b)
		}
		got <- lines
	}()
	select {
	case lines := <-got:
		inW.Close()
		go io.Copy(io.Discard, outR)
		<-done
		return lines
	case <-time.After(10 * time.Second):
		t.Fatalf("go-sdk wrote fewer than %d lines for %s", n, input)
		return nil
	}
}

func initLine(id, params string) string {
	return `{"jsonrpc":"2.0","id":` + id + `,"method":"initialize","params":` + params + `}`
}

// TestPreanswerEqualsSDK: for every protocol version go-sdk supports, the
// stateless one, an unknown one and none, and ids of every form, the
// pre-answer is byte for byte what a real tools.NewServer writes.
func TestPreanswerEqualsSDK(t *testing.T) {
	versions := append(mcp.SupportedProtocolVersions(), "1999-01-01", "2030-01-01", "")
	ids := []string{`0`, `1`, `-7`, `999999999999999`, `"abc"`, `""`, `"é\u00e9\"\\\n\u2028<>&"`}
	for _, v := range versions {
		pv := `"protocolVersion":"` + v + `",`
		if v == "" {
			pv = "" // absent
		}
		for _, id := range ids {
			line := initLine(id, `{`+pv+`"capabilities":{"roots":{"listChanged":true},"elicitation":{}},"clientInfo":{"name":"claude-code","version":"2.1.328"}}`)
			mine, ok := preanswer.ParseAndRespond([]byte(line), tools.Version)
			if !ok {
				t.Fatalf("not pre-answered: %s", line)
			}
			if sdk := sdkAnswer(t, line); !bytes.Equal(mine, sdk) {
				t.Errorf("%s:\npre-answer %s\ngo-sdk     %s", line, mine, sdk)
			}
		}
	}
}

const handshake = `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}` + "\n" +
	`{"jsonrpc":"2.0","method":"notifications/initialized"}` + "\n"

// TestToolsListSnapshot: toolslist.json is what a real tools.NewServer
// lists after the handshake (-update rewrites it: go generate).
func TestToolsListSnapshot(t *testing.T) {
	b := sdkAnswerAfter(t, handshake, `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`)
	result, ok := bytes.CutPrefix(b, []byte(`{"jsonrpc":"2.0","id":2,"result":`))
	result, ok2 := bytes.CutSuffix(result, []byte("}\n"))
	if !ok || !ok2 {
		t.Fatalf("tools/list answered %s", b)
	}
	if *update {
		if err := os.WriteFile("toolslist.json", result, 0o644); err != nil {
			t.Fatal(err)
		}
		*preanswer.ToolsList = result
	}
	if !bytes.Equal(result, *preanswer.ToolsList) {
		t.Errorf("toolslist.json is not what tools.NewServer lists: go generate ./tools/preanswer")
	}
}

// TestToolsListEqualsSDK: the pre-answered tools/list, for ids of every
// form, without params and with empty ones, is go-sdk's answer.
func TestToolsListEqualsSDK(t *testing.T) {
	for _, id := range []string{`1`, `-2`, `"list"`, `"é\u2029"`} {
		for _, params := range []string{``, `,"params":{}`} {
			line := `{"jsonrpc":"2.0","id":` + id + `,"method":"tools/list"` + params + `}`
			mine, ok := preanswer.ToolsListFor([]byte(line))
			if !ok {
				t.Fatalf("not pre-answered: %s", line)
			}
			if sdk := sdkAnswerAfter(t, handshake, line); !bytes.Equal(mine, sdk) {
				t.Errorf("%s:\npre-answer %.300s\ngo-sdk     %.300s", line, mine, sdk)
			}
		}
	}
	for _, line := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"cursor":"x"}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"progressToken":1}}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/list","params":null}`,
		`{"jsonrpc":"2.0","method":"tools/list"}`,
		`{"jsonrpc":"2.0","id":1,"method":"prompts/list"}`,
	} {
		if b, ok := preanswer.ToolsListFor([]byte(line)); ok {
			t.Errorf("pre-answered %s with %.100s", line, b)
		}
	}
}

// claudeMeta is the _meta Claude Code 2.1.328 sends with every request.
const claudeMeta = `"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{"name":"claude-code","title":"Claude Code","version":"2.1.328","description":"Anthropic's agentic coding tool","websiteUrl":"https://claude.com/claude-code"},"io.modelcontextprotocol/clientCapabilities":{"roots":{"listChanged":true},"elicitation":{"form":{},"url":{}}}`

// claudeDiscover is Claude Code 2.1.328's first line.
const claudeDiscover = `{"jsonrpc":"2.0","id":"server-discover-probe-1","method":"server/discover","params":{"_meta":{` + claudeMeta + `}}}`

func discoverLine(id, meta string) string {
	return `{"jsonrpc":"2.0","id":` + id + `,"method":"server/discover","params":{"_meta":{` + meta + `}}}`
}

// TestDiscoverEqualsSDK: for Claude Code's own server/discover and every
// shape of _meta the pre-answer accepts, with ids of every form, the
// pre-answer is byte for byte what a real tools.NewServer writes.
func TestDiscoverEqualsSDK(t *testing.T) {
	pv := `"io.modelcontextprotocol/protocolVersion":"2026-07-28"`
	caps := `"io.modelcontextprotocol/clientCapabilities":`
	lines := []string{claudeDiscover, strings.ReplaceAll(claudeDiscover, `,"`, `, "`) + "\r"}
	for _, meta := range []string{
		claudeMeta,
		pv + `,` + caps + `{}`,
		caps + `{"sampling":{"tools":{}},"experimental":{"x":[1,null]},"extensions":{}},` + pv,
		pv + `,` + caps + `{},"io.modelcontextprotocol/clientInfo":{"name":"c","version":"1","icons":[{"src":"s","sizes":["1x1"]}],"other":null}`,
		pv + `,` + caps + `{"roots":{}},"io.modelcontextprotocol/logLevel":"debug"`,
		pv + `,` + caps + `{},"io.modelcontextprotocol/logLevel":"not-a-level"`,
	} {
		for _, id := range []string{`0`, `-7`, `999999999999999`, `"server-discover-probe-1"`, `""`, `"é\u00e9\"\\\n\u2028<>&"`} {
			lines = append(lines, discoverLine(id, meta))
		}
	}
	for _, line := range lines {
		mine, ok := preanswer.DiscoverFor([]byte(line), tools.Version)
		if !ok {
			t.Fatalf("not pre-answered: %s", line)
		}
		if sdk := sdkAnswer(t, line); !bytes.Equal(mine, sdk) {
			t.Errorf("%s:\npre-answer %s\ngo-sdk     %s", line, mine, sdk)
		}
	}
}

// TestStatelessToolsListEqualsSDK: a tools/list of the 2026-07-28
// protocol (Claude Code's, and the shapes of _meta parseStateless
// accepts), for ids of every form, is pre-answered with what a real
// tools.NewServer writes for it, on its own and after server/discover;
// one with a cursor, or other params, is left to go-sdk.
func TestStatelessToolsListEqualsSDK(t *testing.T) {
	pv := `"io.modelcontextprotocol/protocolVersion":"2026-07-28"`
	caps := `"io.modelcontextprotocol/clientCapabilities":`
	for _, meta := range []string{claudeMeta, pv + `,` + caps + `{}`, pv + `,` + caps + `{"roots":{}},"io.modelcontextprotocol/logLevel":"error"`} {
		for _, id := range []string{`1`, `-2`, `"list"`, `"é\u2029"`} {
			line := `{"jsonrpc":"2.0","id":` + id + `,"method":"tools/list","params":{"_meta":{` + meta + `}}}`
			mine, ok := preanswer.StatelessToolsListFor([]byte(line), tools.Version)
			if !ok {
				t.Fatalf("not pre-answered: %s", line)
			}
			if sdk := sdkAnswer(t, line); !bytes.Equal(mine, sdk) {
				t.Errorf("%s:\npre-answer %.400s\ngo-sdk     %.400s", line, mine, sdk)
			}
			after := sdkLines(t, claudeDiscover+"\n"+line+"\n", 2) // go-sdk answers both concurrently: either may come first
			if !slices.Contains(after, string(mine)) {
				t.Errorf("after discover, %s:\npre-answer %.400s\ngo-sdk     %.400q", line, mine, after)
			}
		}
	}
	for _, line := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{` + claudeMeta + `},"cursor":"x"}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{` + claudeMeta + `,"progressToken":1}}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2025-11-25",` + caps + `{}}}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`,
		`{"jsonrpc":"2.0","id":1,"method":"prompts/list","params":{"_meta":{` + claudeMeta + `}}}`,
	} {
		if b, ok := preanswer.StatelessToolsListFor([]byte(line), "v"); ok {
			t.Errorf("pre-answered %s with %.100s", line, b)
		}
	}
}

// TestDiscoverLeftToSDK: the server/discover requests go-sdk answers with
// an error (no or an old or unknown protocol version in _meta, missing or
// ill-typed clientCapabilities or clientInfo) or that are not worth
// proving (other params, other _meta keys) reach go-sdk; for those it
// answers with an error, the test checks that it does.
func TestDiscoverLeftToSDK(t *testing.T) {
	pv := `"io.modelcontextprotocol/protocolVersion":"2026-07-28"`
	caps := `"io.modelcontextprotocol/clientCapabilities":{}`
	for line, sdkErrs := range map[string]bool{
		`{"jsonrpc":"2.0","id":1,"method":"server/discover"}`:                                       true,
		`{"jsonrpc":"2.0","id":1,"method":"server/discover","params":{}}`:                           true,
		`{"jsonrpc":"2.0","id":1,"method":"server/discover","params":null}`:                         true,
		`{"jsonrpc":"2.0","method":"server/discover","params":{"_meta":{` + pv + `,` + caps + `}}}`: false, // a notification
		discoverLine("1", caps): true,
		discoverLine("1", `"io.modelcontextprotocol/protocolVersion":"2025-11-25",`+caps): true,
		discoverLine("1", `"io.modelcontextprotocol/protocolVersion":"2027-01-01",`+caps): true,
		discoverLine("1", `"io.modelcontextprotocol/protocolVersion":20260728,`+caps):     true,
		discoverLine("1", pv): true,
		discoverLine("1", pv+`,"io.modelcontextprotocol/clientCapabilities":null`):                               true,
		discoverLine("1", pv+`,"io.modelcontextprotocol/clientCapabilities":[]`):                                 true,
		discoverLine("1", pv+`,"io.modelcontextprotocol/clientCapabilities":{"roots":{"listChanged":1}}`):        true,
		discoverLine("1", pv+`,`+caps+`,"io.modelcontextprotocol/clientInfo":null`):                              true,
		discoverLine("1", pv+`,`+caps+`,"io.modelcontextprotocol/clientInfo":{"name":1}`):                        true,
		discoverLine("1", pv+`,`+caps+`,"io.modelcontextprotocol/logLevel":3`):                                   false,
		discoverLine("1", pv+`,`+caps+`,"progressToken":1`):                                                      false,
		discoverLine("1.5", pv+`,`+caps):                                                                         false,
		discoverLine("null", pv+`,`+caps):                                                                        false,
		`{"jsonrpc":"2.0","id":1,"method":"server/discover","params":{"_meta":{` + pv + `,` + caps + `},"x":1}}`: false,
		`[` + discoverLine("1", pv+`,`+caps) + `]`:                                                               false,
	} {
		if b, ok := preanswer.DiscoverFor([]byte(line), "v"); ok {
			t.Errorf("pre-answered %s with %.100s", line, b)
		}
		if _, ok := preanswer.ParseAndRespond([]byte(line), "v"); ok {
			t.Errorf("pre-answered %s as initialize", line)
		}
		if sdkErrs {
			if sdk := sdkAnswer(t, line); !bytes.HasPrefix(sdk, []byte(`{"jsonrpc":"2.0","id":1,"error":`)) {
				t.Errorf("%s: go-sdk answered %.200s, not an error", line, sdk)
			}
		}
	}
}

// TestEarlyImports: the package imports nothing that Go would initialize
// late (see init): only what os needs, bytes (and its unicode, which the
// GODEBUG=inittrace=1 shows initialized among the first), embed,
// internal/stamp.
func TestEarlyImports(t *testing.T) {
	deps := func(pkg string) map[string]bool {
		out, err := exec.Command("go", "list", "-deps", pkg).Output()
		if err != nil {
			t.Skipf("go list: %v", err)
		}
		m := map[string]bool{}
		for _, p := range strings.Fields(string(out)) {
			m[p] = true
		}
		return m
	}
	osDeps := deps("os")
	for p := range deps(".") {
		switch {
		case osDeps[p], p == "bytes", p == "unicode", p == "embed", p == "github.com/mcpmend/mcpmend/internal/stamp", p == "github.com/mcpmend/mcpmend/tools/preanswer":
		default:
			t.Errorf("tools/preanswer depends on %s: the pre-answer's start (Start, from cmd/mcpmend/internal/early's init) would wait for it", p)
		}
	}
}

// TestSupportedVersions: the package's copy of go-sdk's versions.
func TestSupportedVersions(t *testing.T) {
	if !slices.Equal(preanswer.SupportedVersions, mcp.SupportedProtocolVersions()) {
		t.Errorf("preanswer knows %v, go-sdk supports %v", preanswer.SupportedVersions, mcp.SupportedProtocolVersions())
	}
}

// TestLeftToSDK: what the pre-answer must not answer, because go-sdk
// answers otherwise (an error, nothing, the stateless protocol) or because
// proving it answers the same is not worth it.
func TestLeftToSDK(t *testing.T) {
	params := `{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"c","version":"1"}}`
	for _, line := range []string{
		``, ` ` + initLine("1", params), initLine("1", params) + ` `, initLine("1", params) + `x`,
		`[` + initLine("1", params) + `]`,                                           // a batch
		`{"jsonrpc":"2.0","method":"initialize","params":` + params + `}`,           // a notification
		`{"jsonrpc":"2.0","id":null,"method":"initialize","params":` + params + `}`, // likewise
		`{"jsonrpc":"1.0","id":1,"method":"initialize","params":` + params + `}`,
		`{"jsonrpc":"2.0","id":1,"method":"server/discover","params":{}}`,
		`{"jsonrpc":"2.0","id":1,"method":"initialize"}`, // no params: an error
		initLine("1", `null`), initLine("1", `[]`), initLine("1.5", params), initLine("1e3", params), initLine("01", params),
		initLine("9999999999999999", params), initLine("true", params), initLine(`{}`, params),
		initLine("1", `{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"},"protocolVersion":"2025-06-18"}`),
		initLine("1", `{"protocolVersion":2025}`),
		initLine("1", `{"protocolVersion":null}`),
		initLine("1", `{"protocolVersion":"a","protocolVersion":"b"}`),             // duplicate key
		initLine("1", `{"protocolVersion":"2025-06-18","capabilities":[]}`),        // wrong type
		initLine("1", `{"capabilities":{"roots":{"listChanged":"yes"}}}`),          // wrong type, deep
		initLine("1", `{"clientInfo":{"name":7}}`),                                 // wrong type
		initLine("1", `{"clientInfo":{"icons":[{"sizes":[1]}]}}`),                  // wrong type, deeper
		initLine("1", `{"protocolVersion":"\ud800"}`),                              // lone surrogate
		initLine("1", `{"protocol\u0056ersion":"2025-06-18"}`),                     // escaped key
		initLine("1", "{\"clientInfo\":{\"name\":\"\xff\"}}"),                      // invalid UTF-8
		initLine("1", `{"x":`+strings.Repeat("[", 40)+strings.Repeat("]", 40)+`}`), // deep
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":` + params + `,"result":{}}`,
	} {
		if b, ok := preanswer.ParseAndRespond([]byte(line), "v"); ok {
			t.Errorf("pre-answered %q with %s", line, b)
		}
	}
}

// TestAppendString: JSON strings as go-sdk's encoder writes them.
func TestAppendString(t *testing.T) {
	for _, s := range []string{"", "plain", "\"\\/", "\b\f\n\r\t\x00\x1f\x7f", "<>&", "é—☃😀", "\u2028\u2029", "bad \xff\xfe utf8", preanswer.Instructions} {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		enc.Encode(s)
		if got, want := string(preanswer.AppendString(nil, s)), strings.TrimSuffix(b.String(), "\n"); got != want {
			t.Errorf("%q: %s, encoding/json %s", s, got, want)
		}
	}
}

// TestWanted: only `serve` as the first argument, and never with help.
func TestWanted(t *testing.T) {
	for args, want := range map[string]bool{
		"serve": true, "serve --home /x": true, "serve --http 127.0.0.1:1": true,
		"": false, "list": false, "--home /x serve": false, "serve --help": false, "serve -h": false, "help serve": false,
	} {
		if got := preanswer.Wanted(strings.Fields(args)); got != want {
			t.Errorf("wanted(%q) = %v", args, got)
		}
	}
}

// session runs the pre-answer and a real go-sdk server as `mcpmend serve`
// wires them, writes input at once (a client that pipelines), closes it,
// and returns every line written to stdout and the warnings.
func session(t *testing.T, input string) ([]string, []string) {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	var warned []string
	streams := preanswer.StartWith(inR, outW, tools.Version)
	stdin, stdout := streams(inR, outW, func(m string) { warned = append(warned, m) })
	done := sdkServer(t, io.NopCloser(stdin), nopWriteCloser{stdout})
	go func() {
		io.WriteString(inW, input)
		time.Sleep(200 * time.Millisecond) // go-sdk answers what it read before it sees the end
		inW.Close()
		<-done
		outW.Close()
	}()
	all, _ := io.ReadAll(outR)
	lines := strings.SplitAfter(string(all), "\n")
	return lines[:len(lines)-1], warned // after the last "\n": ""
}

// TestPipelined: a client that writes initialize, initialized and
// tools/list at once reads the two pre-answers, first, and nothing else:
// go-sdk's own responses to them are dropped; a request after them is
// go-sdk's to answer.
func TestPipelined(t *testing.T) {
	init := initLine("0", `{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}`)
	list := `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`
	wantInit, _ := preanswer.ParseAndRespond([]byte(init), tools.Version)
	wantList, _ := preanswer.ToolsListFor([]byte(list))
	lines, warned := session(t, init+"\n"+`{"jsonrpc":"2.0","method":"notifications/initialized"}`+"\n"+list+"\n"+
		`{"jsonrpc":"2.0","id":3,"method":"ping"}`+"\n")
	if len(lines) != 3 || lines[0] != string(wantInit) || lines[1] != string(wantList) || lines[2] != `{"jsonrpc":"2.0","id":3,"result":{}}`+"\n" || len(warned) > 0 {
		t.Errorf("lines %.200q, warnings %q", lines, warned)
	}
}

// TestClosedRightAfter: a client that closes stdin as soon as it has
// the pre-answers (claude mcp list does) leaves go-sdk the same session as
// without them: it handles initialize and initialized before it sees the
// end, logs no error, and the handshake hook (the journal replay) runs.
func TestClosedRightAfter(t *testing.T) {
	for range 20 {
		inR, inW := io.Pipe()
		outR, outW := io.Pipe()
		streams := preanswer.StartWith(inR, outW, tools.Version)
		stdin, stdout := streams(inR, outW, func(m string) { t.Errorf("warned: %s", m) })
		var logs syncBuf
		d := tools.NewDeps(registry.OSEnv().WithHome(t.TempDir()), slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn})))
		handshook := make(chan struct{})
		d.AfterHandshake = func() { close(handshook) }
		go io.WriteString(inW, handshake+`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`+"\n")
		r := bufio.NewReaderSize(outR, 64<<10)
		for range 2 {
			if _, err := r.ReadSlice('\n'); err != nil {
				t.Fatal(err)
			}
		}
		inW.Close() // at once, before go-sdk has started, as a fast client meets a cold binary
		go io.Copy(io.Discard, r)
		done := make(chan error, 1)
		go func() {
			done <- tools.NewServer(d).Run(context.Background(), &mcp.IOTransport{Reader: io.NopCloser(stdin), Writer: nopWriteCloser{stdout}})
		}()
		<-done
		outW.Close()
		select {
		case <-handshook:
		case <-time.After(5 * time.Second):
			t.Fatal("go-sdk never completed the handshake")
		}
		if logs.String() != "" {
			t.Fatalf("go-sdk logged: %s", logs.String())
		}
	}
}

// claudeSession is what Claude Code 2.1.328 writes, in order: the probe,
// subscriptions/listen, server/discover again, tools/list.
var claudeSession = claudeDiscover + "\n" +
	`{"jsonrpc":"2.0","id":"listen:0","method":"subscriptions/listen","params":{"_meta":{` + claudeMeta + `},"notifications":{"toolsListChanged":true,"promptsListChanged":true}}}` + "\n" +
	`{"method":"server/discover","jsonrpc":"2.0","id":0,"params":{"_meta":{` + claudeMeta + `}}}` + "\n" +
	`{"method":"tools/list","params":{"_meta":{` + claudeMeta + `}},"jsonrpc":"2.0","id":1}` + "\n"

// TestClaudeCodeSession: Claude Code 2.1.328's session written at once
// reads the pre-answered probe first, then go-sdk's answers to the rest
// (the acknowledgment, discover, tools/list), each once: go-sdk's own
// answer to the probe is dropped, nothing is warned.
func TestClaudeCodeSession(t *testing.T) {
	want, _ := preanswer.DiscoverFor([]byte(claudeDiscover), tools.Version)
	lines, warned := session(t, claudeSession)
	ids := map[string]int{}
	for _, l := range lines {
		var m struct{ ID any }
		json.Unmarshal([]byte(l), &m)
		ids[fmt.Sprint(m.ID)]++
	}
	if len(lines) != 4 || lines[0] != string(want) || len(warned) > 0 ||
		ids["server-discover-probe-1"] != 1 || ids["0"] != 1 || ids["1"] != 1 || ids["<nil>"] != 1 {
		t.Errorf("lines %.200q, ids %v, warnings %q", lines, ids, warned)
	}
}

// TestStatelessPipelined: a client of the 2026-07-28 protocol that writes
// server/discover and tools/list at once (go-sdk's client without list
// handlers, bench/coldstart -discover) reads both pre-answers, first, and
// nothing else for them; a request after them is go-sdk's.
func TestStatelessPipelined(t *testing.T) {
	list := `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{` + claudeMeta + `}}}`
	wantDisc, _ := preanswer.DiscoverFor([]byte(claudeDiscover), tools.Version)
	wantList, _ := preanswer.StatelessToolsListFor([]byte(list), tools.Version)
	lines, warned := session(t, claudeDiscover+"\n"+list+"\n"+`{"jsonrpc":"2.0","id":3,"method":"prompts/list","params":{"_meta":{`+claudeMeta+`}}}`+"\n")
	if len(lines) != 3 || lines[0] != string(wantDisc) || lines[1] != string(wantList) ||
		!strings.HasPrefix(lines[2], `{"jsonrpc":"2.0","id":3,"result":{"resultType":"complete"`) || len(warned) > 0 {
		t.Errorf("lines %.200q, warnings %q", lines, warned)
	}
}

// TestDiscoverClosedRightAfter: a client that closes stdin as soon as it
// has the pre-answered server/discover (and tools/list) still has go-sdk
// handle them (its responses are held back from stdout, not lost to the
// end of stdin, which waits for them, not for the timeout), log nothing and
// run the handshake hook (the journal replay).
func TestDiscoverClosedRightAfter(t *testing.T) {
	list := `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{` + claudeMeta + `}}}`
	for i := range 20 {
		input, answers := claudeDiscover+"\n", 1
		if i%2 == 1 {
			input, answers = input+list+"\n", 2
		}
		inR, inW := io.Pipe()
		outR, outW := io.Pipe()
		streams := preanswer.StartWith(inR, outW, tools.Version)
		stdin, stdout := streams(inR, outW, func(m string) { t.Errorf("warned: %s", m) })
		var logs syncBuf
		d := tools.NewDeps(registry.OSEnv().WithHome(t.TempDir()), slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn})))
		handshook := make(chan struct{})
		d.AfterHandshake = sync.OnceFunc(func() { close(handshook) })
		go io.WriteString(inW, input)
		r := bufio.NewReaderSize(outR, 64<<10)
		for range answers {
			if _, err := r.ReadSlice('\n'); err != nil {
				t.Fatal(err)
			}
		}
		inW.Close()
		rest := make(chan []byte, 1)
		go func() { b, _ := io.ReadAll(r); rest <- b }()
		done := make(chan error, 1)
		start := time.Now()
		go func() {
			done <- tools.NewServer(d).Run(context.Background(), &mcp.IOTransport{Reader: io.NopCloser(stdin), Writer: nopWriteCloser{stdout}})
		}()
		<-done
		outW.Close()
		if b := <-rest; len(b) > 0 || logs.String() != "" {
			t.Fatalf("after the pre-answers: %q; go-sdk logged: %s", b, logs.String())
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("go-sdk took %v to see the end of stdin", d)
		}
		select {
		case <-handshook:
		default:
			t.Fatal("go-sdk never ran the handshake hook")
		}
	}
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestHandover: when the client sends something else than the handshake
// and tools/list, go-sdk answers it and everything after, in order.
func TestHandover(t *testing.T) {
	init := initLine("0", `{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}`)
	wantInit, _ := preanswer.ParseAndRespond([]byte(init), tools.Version)
	for name, tt := range map[string]struct {
		input string
		want  []string // prefixes of the lines, in order
	}{
		"prompts first": {init + "\n" + `{"jsonrpc":"2.0","method":"notifications/initialized"}` + "\n" + `{"jsonrpc":"2.0","id":1,"method":"prompts/list"}` + "\n",
			[]string{string(wantInit), `{"jsonrpc":"2.0","id":1,"result":{"ttlMs":0,"cacheScope":"public","prompts":[`}},
		"tools/list with a cursor": {init + "\n" + `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"cursor":"x"}}` + "\n",
			[]string{string(wantInit), `{"jsonrpc":"2.0","id":1,"error":`}},
		"a batch first": {`[` + init + `]` + "\n", []string{`[{"jsonrpc":"2.0","id":0,"result":{"capabilities"`}},
		"no handshake":  {`{"jsonrpc":"2.0","id":5,"method":"tools/list"}` + "\n", []string{`{"jsonrpc":"2.0","id":5,"error":`}},
	} {
		lines, warned := session(t, tt.input)
		if len(lines) != len(tt.want) || len(warned) > 0 {
			t.Errorf("%s: lines %.300q, warnings %q", name, lines, warned)
			continue
		}
		for i, w := range tt.want {
			if !strings.HasPrefix(lines[i], w) {
				t.Errorf("%s: line %d %.200s, want %s…", name, i, lines[i], w)
			}
		}
	}
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// FuzzPreanswer: whatever line the pre-answer answers, as initialize, as
// server/discover, as tools/list after the handshake or as a 2026-07-28
// tools/list, a real go-sdk server answers with the same bytes.
func FuzzPreanswer(f *testing.F) {
	for _, s := range []string{
		initLine("1", `{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"c","version":"1"}}`),
		initLine(`"x"`, `{"protocolVersion":"2026-07-28","capabilities":{"sampling":{"tools":{}},"experimental":{"a":[1,null]}},"clientInfo":{"name":"c","version":"1","icons":[{"src":"s","sizes":["1x1"]}]}}`),
		initLine("-3", `{"capabilities":{"elicitation":{"form":{},"url":{}}},"other":[true,false,null,1.5e3,"\u00e9"]}`),
		initLine("2", `{}`) + "\r",
		`{"jsonrpc":"2.0","id":"l","method":"tools/list","params":{}}`,
		claudeDiscover,
		`{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{"_meta":{` + claudeMeta + `}}}`,
		discoverLine("3", `"io.modelcontextprotocol/clientCapabilities":{"sampling":{}},"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/logLevel":"info"`),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		if strings.Contains(line, "\n") {
			return
		}
		if mine, ok := preanswer.ParseAndRespond([]byte(line), tools.Version); ok {
			if sdk := sdkAnswer(t, line); !bytes.Equal(mine, sdk) {
				t.Errorf("%q:\npre-answer %s\ngo-sdk     %s", line, mine, sdk)
			}
		}
		if mine, ok := preanswer.ToolsListFor([]byte(line)); ok {
			if sdk := sdkAnswerAfter(t, handshake, line); !bytes.Equal(mine, sdk) {
				t.Errorf("%q:\npre-answer %.300s\ngo-sdk     %.300s", line, mine, sdk)
			}
		}
		if mine, ok := preanswer.DiscoverFor([]byte(line), tools.Version); ok {
			if sdk := sdkAnswer(t, line); !bytes.Equal(mine, sdk) {
				t.Errorf("%q:\npre-answer %.300s\ngo-sdk     %.300s", line, mine, sdk)
			}
		}
		if mine, ok := preanswer.StatelessToolsListFor([]byte(line), tools.Version); ok {
			if sdk := sdkAnswer(t, line); !bytes.Equal(mine, sdk) {
				t.Errorf("%q:\npre-answer %.300s\ngo-sdk     %.300s", line, mine, sdk)
			}
		}
	})
}
