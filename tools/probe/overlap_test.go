package probe

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpmend/mcpmend/registry"
)

// The probe's ping goes out while tools/list is in flight: a server that
// holds tools/list until it has seen a ping (up to 5 s) answers at once
// only when the two overlap, and it records whether they did. Not a
// timing: the server says what it saw.
func TestPingBesideToolsList(t *testing.T) {
	pinged := make(chan struct{}, 1)
	overlapped := make(chan bool, 1)
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server {
		s := testServer()
		s.AddReceivingMiddleware(func(next mcp.MethodHandler) mcp.MethodHandler {
			return func(ctx context.Context, m string, req mcp.Request) (mcp.Result, error) {
				switch m {
				case "ping":
					select {
					case pinged <- struct{}{}:
					default:
					}
				case "tools/list":
					select {
					case <-pinged:
						overlapped <- true
					case <-time.After(5 * time.Second):
						overlapped <- false
					}
				}
				return next(ctx, m, req)
			}
		})
		return s
	}, nil)
	r := Probe(context.Background(), remoteServer("s", registry.HTTP, serve(t, h).URL), Options{})
	if r.Verdict != OK {
		t.Fatalf("verdict %s: %+v", r.Verdict, r)
	}
	if !<-overlapped {
		t.Fatal("tools/list was answered without a ping in flight: ping waits for tools/list, one round trip more per server")
	}
	if p := phaseNamed(r, PhasePing); p.Error != "" {
		t.Errorf("ping phase = %+v", p)
	}
}
