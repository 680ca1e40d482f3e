// Command logsrv is a streamable-HTTP MCP server on a loopback address that
// logs every request (time, tag, method, path, user agent) to stderr, so an
// experiment can see exactly when a client dials it.
package main

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

type (
	in  struct{}
	out struct {
		Msg string `json:"msg"`
	}
)

func main() {
	addr, tag := os.Args[1], os.Args[2]
	s := mcp.NewServer(&mcp.Implementation{Name: "logsrv-" + tag, Version: "1"}, nil)
	mcp.AddTool(s, &mcp.Tool{Name: "ping_" + tag, Description: "ping"}, func(ctx context.Context, r *mcp.CallToolRequest, _ in) (*mcp.CallToolResult, out, error) {
		return nil, out{"pong"}, nil
	})
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s }, nil)
	log.Fatal(http.ListenAndServe(addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(os.Stderr, "%s %s %s %s ua=%q\n", time.Now().Format("15:04:05.000"), tag, r.Method, r.URL.Path, r.UserAgent())
		h.ServeHTTP(w, r)
	})))
}
