package tools

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpmend/mcpmend/cache"
	"github.com/mcpmend/mcpmend/registry"
	"github.com/mcpmend/mcpmend/tools/bridge"
)

// BridgeOffer tells the model whether bridge_server can give this
// conversation a server's tools now, or the server returns only in the
// client's next session.
type BridgeOffer struct {
	Offered bool           `json:"offered"`
	Next    string         `json:"next" jsonschema:"the step: bridge_server with its arguments, or what the user does"`
	Tool    string         `json:"tool,omitempty"`
	Args    map[string]any `json:"arguments,omitempty"`
	Why     string         `json:"why"`
}

// bridgeOffer decides the offer for srv in the conversation ss belongs to:
// only when the server works now, its client would dial it, and the client
// running this conversation re-fetches tools when mcpmend's list changes
// (clientInfo from initialize; see bridge.Relists). Nil when there is
// nothing to offer (the server is not healthy, or is already bridged).
func bridgeOffer(d *Deps, ss *mcp.ServerSession, srv registry.Server, healthy bool, session *cache.Session) *BridgeOffer {
	if !healthy || clientWouldNotDial(srv) != "" || session != nil && session.Action != cache.ActionDial {
		return nil
	}
	for _, a := range d.activeBridges(ss) {
		if a.Server == srv.Name && a.Client == srv.Client {
			return nil
		}
	}
	ci := clientInfo(ss)
	name, version := "", ""
	if ci != nil {
		name, version = ci.Name, ci.Version
	}
	ok, why := bridge.Relists(name, version)
	if !ok {
		return &BridgeOffer{Next: srv.Name + " connects under its own name in the client's next session (a new conversation); this one cannot be given its tools", Why: why}
	}
	args := map[string]any{"name": srv.Name, "client": srv.Client, "scope": srv.Scope}
	return &BridgeOffer{Offered: true, Tool: "bridge_server", Args: args, Why: why,
		Next: "if this conversation lacks " + srv.Name + "'s tools (the session skipped it at start), bridge_server gives them now under mcpmend's name; otherwise it connects in the next session"}
}

// writeBridge renders the offer and the active bridges for text clients.
func writeBridge(b *strings.Builder, o *BridgeOffer, active []bridge.Info) {
	if o != nil {
		if o.Offered {
			args, _ := json.Marshal(o.Args)
			fmt.Fprintf(b, "Bridge: %s: bridge_server %s\n", o.Next, args)
		} else {
			fmt.Fprintf(b, "Bridge: not offered — %s (%s)\n", o.Next, o.Why)
		}
	}
	for _, a := range active {
		fmt.Fprintf(b, "Bridged in this conversation: %s (%d tools since %s)\n", a.Server, len(a.Tools), a.Since.UTC().Format("15:04:05 UTC"))
	}
}
