//go:build unix

package tools

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// upstreamEnv makes TestUpstreamHelper a stdio MCP server.
const upstreamEnv = "MCPMEND_TOOLS_TEST_UPSTREAM"

// TestUpstreamHelper is not a test: run as a bridged server's command (with
// upstreamEnv set) it serves one tool on stdin/stdout.
func TestUpstreamHelper(t *testing.T) {
	if os.Getenv(upstreamEnv) == "" {
		t.Skip("a helper process, not a test")
	}
	s := mcp.NewServer(&mcp.Implementation{Name: "upstream", Version: "1"}, nil)
	mcp.AddTool(s, &mcp.Tool{Name: "noop"}, func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{}, nil, nil
	})
	_ = s.Run(context.Background(), &mcp.StdioTransport{})
	os.Exit(0)
}

// TestCloseWaitsForASessionsBridges: when mcpmend's client goes away, the
// session's end (forget) and stdin's end (serve's Deps.Close) race to end
// its bridges. When forget won, Close found nothing to close and returned
// at once, and the process exited with the bridged server's group still
// alive (a shell that runs `sleep 300` after the server: integration's
// TestBridgeEndsWithMcpmend caught it under load). Close now waits for the
// bridges forget is ending; here forget is made to win.
func TestCloseWaitsForASessionsBridges(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("needs /bin/sh")
	}
	pidFile := filepath.Join(t.TempDir(), "pid")
	d := probeHome(t, map[string]any{"slow": map[string]any{
		"command": "/bin/sh",
		"args":    []string{"-c", `echo $$ > "$0"; "$1" -test.run='^TestUpstreamHelper$'; sleep 300`, pidFile, os.Args[0]},
		"env":     map[string]any{upstreamEnv: "1"},
	}}, nil, nil)
	cs, _ := session(t, d)
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "bridge_server", Arguments: map[string]any{"name": "slow"}})
	if err != nil || res.IsError {
		t.Fatalf("bridge_server: %v %+v", err, res)
	}
	data, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	cs.Close()
	// the session's end (forget) takes the Manager out first, as it may
	// when stdin ends too
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		d.bridges.mu.Lock()
		n := len(d.bridges.byID)
		d.bridges.mu.Unlock()
		if n == 0 {
			break
		}
		if time.Now().After(end) {
			t.Fatal("the session's end did not drop its Manager")
		}
	}
	d.Close()
	if err := syscall.Kill(pid, 0); err == nil {
		syscall.Kill(-pid, syscall.SIGKILL)
		t.Fatalf("the bridged server's shell (pid %d) is alive after Close returned", pid)
	}
}
