package probe

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// wsTransport dials a `ws` server as Claude Code does: a WebSocket with the
// "mcp" subprotocol and the configured headers (added by the recorder on
// the handshake request), one JSON-RPC message per text message. The go-sdk
// has no WebSocket transport; this one fits its Transport interface.
type wsTransport struct {
	url    string
	client *http.Client
}

func (t *wsTransport) Connect(ctx context.Context) (mcp.Connection, error) {
	c, _, err := websocket.Dial(ctx, t.url, &websocket.DialOptions{HTTPClient: t.client, Subprotocols: []string{"mcp"}})
	if err != nil {
		return nil, err
	}
	c.SetReadLimit(mcp.DefaultMaxLineLength)
	return &wsConn{c: c}, nil
}

// wsConn is an mcp.Connection over a WebSocket.
type wsConn struct {
	c    *websocket.Conn
	once sync.Once
}

func (w *wsConn) Read(ctx context.Context) (jsonrpc.Message, error) {
	_, data, err := w.c.Read(ctx)
	if err != nil {
		return nil, err
	}
	return jsonrpc.DecodeMessage(data)
}

func (w *wsConn) Write(ctx context.Context, msg jsonrpc.Message) error {
	data, err := jsonrpc.EncodeMessage(msg)
	if err != nil {
		return err
	}
	return w.c.Write(ctx, websocket.MessageText, data)
}

// Close sends a close frame and gives the peer a moment to answer; a probe
// does not wait out a server that never completes the close handshake.
func (w *wsConn) Close() error {
	w.once.Do(func() {
		done := make(chan struct{})
		go func() {
			_ = w.c.Close(websocket.StatusNormalClosure, "")
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(time.Second):
			_ = w.c.CloseNow()
		}
	})
	return nil
}

func (w *wsConn) SessionID() string { return "" }
