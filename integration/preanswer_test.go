package integration

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mcpmend/mcpmend/internal/wirelog"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// transcript runs `mcpmend serve` with env added, writes input in one
// write (a client that pipelines), reads lines until each of until has
// appeared in one, closes stdin and returns stdout's lines, stderr and the
// exit code. Name every response awaited: responses may come in any order,
// and one still in flight when stdin closes is never written.
func transcript(t *testing.T, env []string, args []string, input string, until ...string) ([]string, string, int) {
	t.Helper()
	return transcriptOf(t, binary, env, args, input, until...)
}

// transcriptOf is transcript with another build of mcpmend.
func transcriptOf(t *testing.T, bin string, env []string, args []string, input string, until ...string) ([]string, string, int) {
	t.Helper()
	home := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(homeEnv(home), env...)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	io.WriteString(stdin, input)
	until = slices.Clone(until) // the caller's slice, when passed with ...
	var lines []string
	r := bufio.NewReader(stdout)
	for {
		line, err := r.ReadString('\n')
		if line != "" {
			lines = append(lines, line)
		}
		until = slices.DeleteFunc(until, func(u string) bool { return strings.Contains(line, u) })
		if err != nil || len(until) == 0 {
			break
		}
	}
	stdin.Close()
	rest, _ := io.ReadAll(r)
	if len(rest) > 0 {
		lines = append(lines, string(rest))
	}
	code := 0
	if err := cmd.Wait(); err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatal(err)
		}
		code = ee.ExitCode()
	}
	return lines, errb.String(), code
}

const pipelined = `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{"roots":{}},"clientInfo":{"name":"claude-code","version":"2.1.328"}}}` + "\n" +
	`{"jsonrpc":"2.0","method":"notifications/initialized"}` + "\n" +
	`{"jsonrpc":"2.0","id":1,"method":"tools/list"}` + "\n"

// pipelinedIDs name the responses pipelined awaits.
var pipelinedIDs = []string{`"id":0,`, `"id":1,`}

// TestServePreanswerSameBytes: the built binary writes the same bytes,
// pre-answered (the default) or not (MCPMEND_PREANSWER=off), to a client
// that writes initialize, initialized and tools/list at once — each
// answered once — and says nothing on stderr about it.
func TestServePreanswerSameBytes(t *testing.T) {
	on, onErr, c1 := transcript(t, nil, []string{"serve"}, pipelined, pipelinedIDs...)
	off, offErr, c2 := transcript(t, []string{"MCPMEND_PREANSWER=off"}, []string{"serve"}, pipelined, pipelinedIDs...)
	if c1 != 0 || c2 != 0 || len(on) != 2 || !strings.HasPrefix(on[0], `{"jsonrpc":"2.0","id":0,"result":{"capabilities"`) ||
		!strings.HasPrefix(on[1], `{"jsonrpc":"2.0","id":1,"result":{`) || strings.Join(on, "") != strings.Join(off, "") {
		t.Fatalf("pre-answered (exit %d) %.300q\nnot (exit %d) %.300q", c1, on, c2, off)
	}
	if onErr != "" || offErr != "" {
		t.Errorf("stderr: %q / %q", onErr, offErr)
	}
}

// statelessMeta is the _meta of Claude Code 2.1.328's requests.
const statelessMeta = `{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{"name":"claude-code","version":"2.1.328"},"io.modelcontextprotocol/clientCapabilities":{"roots":{"listChanged":true}}}}`

// TestServePreanswerStatelessSameBytes: a client of the 2026-07-28
// protocol that writes server/discover and tools/list at once, then a
// prompts/list, reads the same bytes from the built binary pre-answered or
// not, each response once, and stderr stays empty.
func TestServePreanswerStatelessSameBytes(t *testing.T) {
	input := `{"jsonrpc":"2.0","id":"server-discover-probe-1","method":"server/discover","params":` + statelessMeta + "}\n" +
		`{"jsonrpc":"2.0","id":1,"method":"tools/list","params":` + statelessMeta + "}\n" +
		`{"jsonrpc":"2.0","id":2,"method":"prompts/list","params":` + statelessMeta + "}\n"
	ids := []string{`"id":"server-discover-probe-1",`, `"id":1,`, `"id":2,`}
	on, onErr, c1 := transcript(t, nil, []string{"serve"}, input, ids...)
	off, offErr, c2 := transcript(t, []string{"MCPMEND_PREANSWER=off"}, []string{"serve"}, input, ids...)
	off = sortedStrings(strings.SplitAfter(strings.Join(off, ""), "\n")) // go-sdk answers these concurrently
	if c1 != 0 || c2 != 0 || len(on) != 3 || !strings.HasPrefix(on[0], `{"jsonrpc":"2.0","id":"server-discover-probe-1","result":{"resultType":"complete"`) ||
		!strings.HasPrefix(on[1], `{"jsonrpc":"2.0","id":1,"result":{"resultType":"complete"`) || !strings.HasPrefix(on[2], `{"jsonrpc":"2.0","id":2,"result":`) {
		t.Fatalf("pre-answered (exit %d) %.300q", c1, on)
	}
	if all := sortedStrings(strings.SplitAfter(strings.Join(on, ""), "\n")); !slices.Equal(all, off) {
		t.Errorf("pre-answered %.300q\nnot %.300q", on, off)
	}
	if onErr != "" || offErr != "" {
		t.Errorf("stderr: %q / %q", onErr, offErr)
	}
}

func sortedStrings(s []string) []string {
	sort.Strings(s)
	return s
}

// TestServePreanswerStampedVersion: a release build, its version stamped
// in internal/stamp (as .goreleaser.yaml and cmd/mkbundle do), reports it
// in `version` and in the pre-answered serverInfo, whose bytes are go-sdk's.
func TestServePreanswerStampedVersion(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "mcpmend")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	build := exec.Command("go", "build", "-ldflags=-X github.com/mcpmend/mcpmend/internal/stamp.Version=v9.8.7", "-o", bin, "../cmd/mcpmend")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	if out, err := exec.Command(bin, "version").Output(); err != nil || !strings.HasPrefix(string(out), "mcpmend v9.8.7 (") {
		t.Errorf("version: %q %v", out, err)
	}
	on, _, c1 := transcriptOf(t, bin, nil, []string{"serve"}, pipelined, pipelinedIDs...)
	off, _, c2 := transcriptOf(t, bin, []string{"MCPMEND_PREANSWER=off"}, []string{"serve"}, pipelined, pipelinedIDs...)
	if c1 != 0 || c2 != 0 || len(on) != 2 || !strings.Contains(on[0], `"serverInfo":{"name":"mcpmend","title":"mcpmend — diagnose and heal MCP servers","version":"v9.8.7"}`) ||
		strings.Join(on, "") != strings.Join(off, "") {
		t.Errorf("pre-answered %.200q…\nnot %.200q…", on, off)
	}
}

// TestServePreanswerGoSDKClient: a real go-sdk client connects to the
// built binary (as Claude Code does: initialize, initialized, tools/list
// once the result is in), lists the tools and calls one; stderr stays
// quiet (no pre-answer mismatch).
func TestServePreanswerGoSDKClient(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.Command(binary, "serve")
	cmd.Env = homeEnv(t.TempDir())
	var errb wirelog.Log
	cmd.Stderr = &errb
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "integration-test", Version: "1"}, nil).Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cs.InitializeResult().ServerInfo.Name != "mcpmend" || cs.InitializeResult().ProtocolVersion == "" {
		t.Errorf("initialize result %+v", cs.InitializeResult())
	}
	tl, err := cs.ListTools(ctx, nil)
	if err != nil || len(tl.Tools) == 0 {
		t.Fatalf("tools/list: %v %v", tl, err)
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "reset_status", Arguments: map[string]any{}})
	if err != nil || res.IsError {
		t.Fatalf("reset_status: %+v %v", res, err)
	}
	cs.Close()
	if s := errb.String(); strings.Contains(s, "pre-answer") {
		t.Errorf("stderr: %s", s)
	}
}

// TestServePreanswerBadFlag: serve with a bad flag still fails with its
// usage error on stderr and exit 2, though the client's initialize may
// already have its result; stdout holds protocol only.
func TestServePreanswerBadFlag(t *testing.T) {
	lines, stderr, code := transcript(t, nil, []string{"serve", "--allow-remote"}, pipelined, pipelinedIDs...)
	if code != 2 || !strings.Contains(stderr, "--allow-remote") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, `{"jsonrpc":"2.0",`) {
			t.Errorf("stdout has %q", l)
		}
	}
}
