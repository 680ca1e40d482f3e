package probe

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// The test binary doubles as every stdio test server: TestMain runs the
// behaviour named by behaviourEnv instead of the tests, so each "server" is
// a real process that costs a fork and a few milliseconds.
const (
	behaviourEnv = "MCPMEND_PROBE_TEST_BEHAVIOUR"
	markerEnv    = "MCPMEND_PROBE_TEST_MARKER" // set in every child, to find leftovers
)

// runMarker identifies this test run's children in the process table.
var runMarker = "probe-test-" + strconv.Itoa(os.Getpid())

func TestMain(m *testing.M) {
	if b := os.Getenv(behaviourEnv); b != "" {
		os.Exit(runBehaviour(b))
	}
	os.Setenv(markerEnv, runMarker)
	code := m.Run()
	// No probe child may outlive a probe: after the whole suite, nothing
	// carrying this run's marker may still be running.
	if left := waitLeftovers(runMarker, 3*time.Second); len(left) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: probe children still running after the suite: %v\n", left)
		code = 1
	}
	os.Exit(code)
}

// testServer is the MCP server every healthy behaviour serves.
func testServer() *mcp.Server {
	name, version := os.Getenv("PROBE_NAME"), os.Getenv("PROBE_VERSION")
	if name == "" {
		name = "probe-test"
	}
	if name == "cwd" {
		wd, _ := os.Getwd()
		name = filepath.Base(wd)
	}
	if version == "" {
		version = "1.0.0"
	}
	s := mcp.NewServer(&mcp.Implementation{Name: name, Version: version}, nil)
	type in struct {
		Text string `json:"text" jsonschema:"what to echo"`
	}
	for _, tool := range []string{"echo", "reverse", "shout"} {
		mcp.AddTool(s, &mcp.Tool{Name: tool, Description: tool + " text"}, func(context.Context, *mcp.CallToolRequest, in) (*mcp.CallToolResult, any, error) {
			return &mcp.CallToolResult{}, nil, nil
		})
	}
	return s
}

func serveStdio() int {
	if err := testServer().Run(context.Background(), &mcp.StdioTransport{}); err != nil {
		fmt.Fprintln(os.Stderr, "serve:", err)
		return 1
	}
	return 0
}

// runBehaviour is one stdio test server.
func runBehaviour(b string) int {
	switch b {
	case "healthy":
		return serveStdio()
	case "slow": // takes its time to start, like npx fetching a package
		d, _ := time.ParseDuration(os.Getenv("PROBE_DELAY"))
		time.Sleep(d)
		return serveStdio()
	case "hang": // reads nothing, answers nothing, shrugs off SIGTERM
		signal.Ignore(syscall.SIGTERM)
		// Not select{}: where no signal goroutine is running (Windows) the
		// runtime calls that a deadlock and exits, and the server "hangs"
		// for no time at all.
		for {
			time.Sleep(time.Hour)
		}
	case "crash": // dies during the handshake, explaining itself on stderr
		bufio.NewReader(os.Stdin).ReadString('\n')
		fmt.Fprintln(os.Stderr, "starting probe-test server")
		fmt.Fprintf(os.Stderr, "fatal: upstream rejected API key %s\n", os.Getenv("PROBE_SECRET"))
		return 3
	case "garbage": // logs to stdout, the classic stdio mistake
		fmt.Println("Server listening on stdio, ready!")
		return serveStdio()
	case "exit0": // exits at once, successfully
		return 0
	case "grandchild": // forks a helper that ignores SIGTERM, then serves
		self, _ := os.Executable()
		cmd := exec.Command(self)
		cmd.Env = append(os.Environ(), behaviourEnv+"=sleeper")
		if err := cmd.Start(); err != nil {
			fmt.Fprintln(os.Stderr, "fork:", err)
			return 1
		}
		os.WriteFile(os.Getenv("PROBE_PIDFILE"), []byte(strconv.Itoa(cmd.Process.Pid)), 0o600)
		return serveStdio()
	case "sleeper":
		signal.Ignore(syscall.SIGTERM)
		time.Sleep(time.Hour)
		return 0
	case "noisy": // logs on stdout before and between messages, JSON logs too
		fmt.Println("Starting server...")
		fmt.Println(`{"level":"info","msg":"listening"}`)
		fmt.Println("\x1b[32mready\x1b[0m")
		return serveStdio()
	case "echo-secret": // names itself after its secret, with terminal escapes, and fails tools/list echoing it
		s := mcp.NewServer(&mcp.Implementation{Name: "srv " + os.Getenv("PROBE_SECRET") + "\x1b]52;c;aGk=\x07", Version: "1\x1b[2J\u009b"}, nil)
		mcp.AddTool(s, &mcp.Tool{Name: "t"}, func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, any, error) {
			return &mcp.CallToolResult{}, nil, nil
		})
		s.AddReceivingMiddleware(func(next mcp.MethodHandler) mcp.MethodHandler {
			return func(ctx context.Context, m string, req mcp.Request) (mcp.Result, error) {
				if m == "tools/list" {
					return nil, &jsonrpc.Error{Code: -32000, Message: "bad key " + os.Getenv("PROBE_SECRET") + "\x1b[31m"}
				}
				return next(ctx, m, req)
			}
		})
		s.Run(context.Background(), &mcp.StdioTransport{})
		return 0
	case "stacktrace": // a Node crash: the cause first, then a stack and a printed object
		fmt.Fprintln(os.Stderr, "/app/node_modules/brave/dist/index.js:12")
		fmt.Fprintln(os.Stderr, "Error: BRAVE_API_KEY environment variable is required")
		fmt.Fprintln(os.Stderr, "    at Object.<anonymous> (/app/node_modules/brave/dist/index.js:12:9)")
		fmt.Fprintln(os.Stderr, "    at Module._compile (node:internal/modules/cjs/loader:1554:14) {")
		fmt.Fprintln(os.Stderr, "  code: 'ERR_MISSING'")
		fmt.Fprintln(os.Stderr, "}")
		fmt.Fprintln(os.Stderr, "")
		fmt.Fprintln(os.Stderr, "Node.js v22.12.0")
		return 1
	}
	if code, ok := unixBehaviour(b); ok {
		return code
	}
	fmt.Fprintln(os.Stderr, "unknown behaviour", b)
	return 2
}
