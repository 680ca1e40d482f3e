package diagnose

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// The test binary doubles as the stdio servers the engine test dials:
// with behaviourEnv set, TestMain runs that behaviour instead of the tests.
const behaviourEnv = "MCPMEND_DIAGNOSE_TEST_BEHAVIOUR"

func TestMain(m *testing.M) {
	if b := os.Getenv(behaviourEnv); b != "" {
		os.Exit(runBehaviour(b))
	}
	os.Exit(m.Run())
}

func runBehaviour(b string) int {
	switch b {
	case "serve": // a healthy go-sdk stdio server
		s := mcp.NewServer(&mcp.Implementation{Name: "diagnose-stdio", Version: "1.0.0"}, nil)
		mcp.AddTool(s, &mcp.Tool{Name: "hello", Description: "says hello"}, func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, any, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "hello"}}}, nil, nil
		})
		if err := s.Run(context.Background(), &mcp.StdioTransport{}); err != nil {
			fmt.Fprintln(os.Stderr, "serve:", err)
			return 1
		}
		return 0
	case "crash": // dies during the handshake, echoing its secret on stderr
		bufio.NewReader(os.Stdin).ReadString('\n')
		fmt.Fprintf(os.Stderr, "fatal: database refused key %s\n", os.Getenv("API_KEY"))
		return 3
	}
	fmt.Fprintln(os.Stderr, "unknown behaviour", b)
	return 2
}
