package probe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/oauthex"
)

// AuthEvidence explains a 401 or 403.
type AuthEvidence struct {
	Status          int             `json:"status"`
	CredentialsSent bool            `json:"credentials_sent"`
	HeadersSent     []string        `json:"headers_sent,omitempty"` // names only
	Challenges      []Challenge     `json:"challenges,omitempty"`
	Error           string          `json:"error,omitempty"` // the challenge's error, e.g. invalid_token, insufficient_scope
	Scope           string          `json:"scope,omitempty"` // scope the challenge asks for
	OAuth           *OAuthDiscovery `json:"oauth,omitempty"`
}

// Challenge is one parsed WWW-Authenticate challenge (scheme and keys
// lower-cased, as oauthex parses them).
type Challenge struct {
	Scheme string            `json:"scheme"`
	Params map[string]string `json:"params,omitempty"`
}

// OAuthDiscovery is what non-interactive OAuth discovery found: the RFC 9728
// protected-resource metadata, the RFC 8414 authorization-server metadata,
// and whether a client can register itself. No client is registered and no
// browser is opened.
type OAuthDiscovery struct {
	ResourceMetadataURL   string   `json:"resource_metadata_url,omitempty"`
	Resource              string   `json:"resource,omitempty"`
	AuthorizationServers  []string `json:"authorization_servers,omitempty"`
	AuthServerMetadataURL string   `json:"auth_server_metadata_url,omitempty"`
	Issuer                string   `json:"issuer,omitempty"`
	AuthorizationEndpoint string   `json:"authorization_endpoint,omitempty"`
	TokenEndpoint         string   `json:"token_endpoint,omitempty"`
	RegistrationEndpoint  string   `json:"registration_endpoint,omitempty"`
	DynamicRegistration   bool     `json:"dynamic_registration"`          // RFC 7591 registration is offered
	ClientIDMetadata      bool     `json:"client_id_metadata_document"`   // CIMD is supported
	ConfiguredClientID    bool     `json:"configured_client_id"`          // the entry sets oauth.clientId
	ScopesSupported       []string `json:"scopes_supported,omitempty"`    // from the resource, else the server
	RootFallback          bool     `json:"root_fallback,omitempty"`       // no resource metadata: the MCP server's origin was assumed to be the authorization server (2025-03-26 rule)
	Problems              []string `json:"problems,omitempty"`            // why a metadata document was refused
	Unguarded             bool     `json:"fetched_unguarded,omitempty"`   // fetched without the SDK's address guard, see Problems
	Found                 bool     `json:"authorization_server_metadata"` // RFC 8414 metadata was found
}

// parseChallenges parses WWW-Authenticate values with the SDK's parser.
func parseChallenges(values []string) ([]Challenge, string, string) {
	cs, err := oauthex.ParseWWWAuthenticate(values)
	if err != nil {
		return nil, "", ""
	}
	var out []Challenge
	var errCode, scope string
	for _, c := range cs {
		out = append(out, Challenge{Scheme: c.Scheme, Params: c.Params})
		if c.Scheme == "bearer" {
			if errCode == "" {
				errCode = c.Params["error"]
			}
			if scope == "" {
				scope = c.Params["scope"]
			}
		}
	}
	return out, errCode, scope
}

// discoverOAuth runs the discovery an MCP client runs after a 401, with the
// go-sdk's oauthex fetchers (which validate the documents as the SDK's own
// client would) but without auth.AuthorizationCodeHandler: that handler
// registers a client dynamically — a write on the authorization server —
// before it hands over the authorization URL, and a probe must not write.
//
// The SDK refuses metadata URLs that are plain http on a non-loopback host
// and, through its dialer, hosts on private networks. Loopback is allowed,
// so tests need no relaxation. For a refused private server the documents
// are fetched once more with plain net/http, and the refusal is reported:
// clients built on the SDK will fail the same way.
func (p *prober) discoverOAuth(ctx context.Context, hc *http.Client, mcpURL *url.URL, challenges []Challenge) *OAuthDiscovery {
	d := &OAuthDiscovery{ConfiguredClientID: p.s.OAuth != nil && p.s.OAuth.ClientID != ""}
	var prm *oauthex.ProtectedResourceMetadata
	for _, c := range prmCandidates(challenges, mcpURL) {
		got, err := oauthex.GetProtectedResourceMetadata(ctx, c.url, c.resource, hc)
		if err != nil && refusedByGuard(err) {
			d.Problems = append(d.Problems, p.scrub(err.Error()))
			got, err = fetchUnguarded[oauthex.ProtectedResourceMetadata](ctx, hc, c.url)
			d.Unguarded = d.Unguarded || err == nil
		}
		if err != nil {
			if !strings.Contains(err.Error(), "bad status 404") {
				d.Problems = append(d.Problems, p.scrub(err.Error()))
			}
			continue
		}
		prm, d.ResourceMetadataURL = got, c.url
		break
	}
	issuer := ""
	if prm != nil {
		d.Resource, d.AuthorizationServers, d.ScopesSupported = prm.Resource, prm.AuthorizationServers, prm.ScopesSupported
		if len(prm.AuthorizationServers) == 0 {
			d.Problems = append(d.Problems, "the protected-resource metadata names no authorization server")
			return d
		}
		issuer = prm.AuthorizationServers[0]
	} else {
		root := *mcpURL
		root.Path, root.RawQuery, root.Fragment, root.User = "", "", "", nil
		issuer, d.RootFallback = root.String(), true
	}
	p.discoverAuthServer(ctx, hc, issuer, d)
	return d
}

func (p *prober) discoverAuthServer(ctx context.Context, hc *http.Client, issuer string, d *OAuthDiscovery) {
	candidates := asmCandidates(issuer)
	if p.s.OAuth != nil && p.s.OAuth.AuthServerMetadataURL != "" {
		candidates = append([]string{p.s.OAuth.AuthServerMetadataURL}, candidates...)
	}
	for _, u := range candidates {
		asm, err := oauthex.GetAuthServerMeta(ctx, u, issuer, hc)
		if err != nil && refusedByGuard(err) {
			d.Problems = append(d.Problems, p.scrub(err.Error()))
			asm, err = fetchUnguarded[oauthex.AuthServerMeta](ctx, hc, u)
			if isClientError(err) {
				asm, err = nil, nil // as the SDK: a 4xx means "not here", try the next
			}
			d.Unguarded = d.Unguarded || asm != nil
		}
		if err != nil {
			d.Problems = append(d.Problems, p.scrub(err.Error()))
			return // the SDK stops at the first error that is not a 4xx
		}
		if asm == nil {
			continue // 4xx: try the next well-known location
		}
		d.Found, d.AuthServerMetadataURL, d.Issuer = true, u, asm.Issuer
		d.AuthorizationEndpoint, d.TokenEndpoint, d.RegistrationEndpoint = asm.AuthorizationEndpoint, asm.TokenEndpoint, asm.RegistrationEndpoint
		d.DynamicRegistration = asm.RegistrationEndpoint != ""
		d.ClientIDMetadata = asm.ClientIDMetadataDocumentSupported
		if len(d.ScopesSupported) == 0 {
			d.ScopesSupported = asm.ScopesSupported
		}
		return
	}
	d.Problems = append(d.Problems, "no authorization-server metadata at "+issuer+"'s well-known locations")
}

type prmCandidate struct{ url, resource string }

// prmCandidates are the places the MCP spec (2025-11-25) says to look for
// protected-resource metadata, in order: the challenge's resource_metadata,
// the well-known path inserted before the endpoint's path, the root. (The
// same list the SDK's unexported protectedResourceMetadataURLs builds.)
func prmCandidates(challenges []Challenge, u *url.URL) []prmCandidate {
	var out []prmCandidate
	resource := u.String()
	for _, c := range challenges {
		if m := c.Params["resource_metadata"]; m != "" {
			out = append(out, prmCandidate{m, resource})
			break
		}
	}
	mu := *u
	mu.RawQuery, mu.Fragment = "", ""
	mu.Path = "/.well-known/oauth-protected-resource/" + strings.TrimLeft(u.Path, "/")
	out = append(out, prmCandidate{mu.String(), resource})
	root := *u
	root.Path, root.RawQuery, root.Fragment = "", "", ""
	mu.Path = "/.well-known/oauth-protected-resource"
	out = append(out, prmCandidate{mu.String(), root.String()})
	return out
}

// asmCandidates are RFC 8414 and OpenID Connect locations for an issuer, in
// the SDK's order; listed here so the result can say which one answered.
func asmCandidates(issuer string) []string {
	u, err := url.Parse(issuer)
	if err != nil {
		return nil
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/.well-known/oauth-authorization-server"
		a := u.String()
		u.Path = "/.well-known/openid-configuration"
		return []string{a, u.String()}
	}
	path := strings.Trim(u.Path, "/")
	var out []string
	for _, p := range []string{"/.well-known/oauth-authorization-server/" + path, "/.well-known/openid-configuration/" + path, "/" + path + "/.well-known/openid-configuration"} {
		u.Path = p
		out = append(out, u.String())
	}
	return out
}

// refusedByGuard reports whether the SDK refused a URL for its address
// policy rather than for what the server answered.
func refusedByGuard(err error) bool {
	s := err.Error()
	return strings.Contains(s, "non-public") || strings.Contains(s, "does not use HTTPS or is not a loopback")
}

// statusError is a metadata fetch's HTTP error status.
type statusError struct {
	url  string
	code int
}

func (e *statusError) Error() string { return fmt.Sprintf("GET %s: bad status %d", e.url, e.code) }

func isClientError(err error) bool {
	var se *statusError
	return errors.As(err, &se) && se.code >= 400 && se.code < 500
}

// fetchUnguarded fetches a metadata document with plain net/http.
func fetchUnguarded[T any](ctx context.Context, hc *http.Client, u string) (*T, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, &statusError{u, resp.StatusCode}
	}
	var v T
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&v); err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	return &v, nil
}
