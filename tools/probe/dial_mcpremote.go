package probe

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpmend/mcpmend/cache/mcpremote"
	"github.com/mcpmend/mcpmend/registry"
)

// errStoredTokenExpired is why an mcp-remote entry is not dialled: its
// stored access token has expired, and only mcp-remote may refresh it.
var errStoredTokenExpired = errors.New("the access token mcp-remote stored has expired; mcpmend never refreshes it (a refresh rotates mcp-remote's refresh token): start the server in its client, where mcp-remote renews or repeats the sign-in")

// dialMCPRemote dials the remote an mcp-remote entry bridges, as the probe
// does (bridge.go): its URL, its --header values and the access token
// mcp-remote stored, read only, in mcp-remote's transport order. mcp-remote
// itself is never started. An expired stored token is not sent.
func (p *prober) dialMCPRemote(ctx context.Context, client *mcp.Client) (*Conn, error) {
	mrArgs, _ := p.mcpRemote()
	env := p.childEnv()
	cfg := mcpremote.Parse(mrArgs, func(path string) ([]byte, error) { return readSmall(path, p.s.Cwd) })
	if cfg.ServerURL == "" {
		return nil, fmt.Errorf("mcp-remote would not start: %s", cfg.Problem)
	}
	if u, err := url.Parse(cfg.ServerURL); err != nil || u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("mcp-remote's remote %s is not an http(s) URL mcpmend can dial itself", registry.RedactURL(cfg.ServerURL))
	}
	remote := registry.Server{Name: p.s.Name, Client: p.s.Client, Scope: p.s.Scope, File: p.s.File, Project: p.s.Project,
		Transport: registry.HTTP, URL: registry.RedactURL(cfg.ServerURL)}
	remote.Raw.URL = registry.Secret(cfg.ServerURL)
	for _, h := range mcpRemoteHeaders(mrArgs, env) {
		remote.Raw.Headers = append(remote.Raw.Headers, registry.Header{Name: h[0], Value: registry.Secret(h[1])})
		p.addSecret(h[1])
	}
	ev := &BridgeEvidence{}
	var extra http.Header
	if tok := p.mcpRemoteToken(ctx, env, ev); tok != "" {
		p.addSecret(tok)
		if strings.HasPrefix(ev.Token, "expired") {
			return nil, errStoredTokenExpired
		}
		extra = http.Header{"Authorization": {"Bearer " + tok}}
	}
	var err error
	for _, t := range mcpRemoteTransports(mrArgs) {
		remote.Transport = t
		q := p.sub(remote)
		var c *Conn
		if c, err = q.dialRemote(ctx, client, extra); err == nil {
			return c, nil
		}
	}
	return nil, err
}
