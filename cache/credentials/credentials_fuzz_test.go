package credentials

import (
	"strings"
	"testing"

	"github.com/mcpmend/mcpmend/cache/internal/storetest"
	"github.com/mcpmend/mcpmend/cache/store"
)

// FuzzCredentials feeds arbitrary bytes to the credential store parser and
// judges every entry: no panic, and the records never quote a token.
func FuzzCredentials(f *testing.F) {
	f.Add([]byte(`{"mcpOAuth":{"srv|bc691705db4803af":{"serverName":"srv","accessToken":"","discoveryState":{"oauthMetadataFound":true,"tokenlessRejectedAt":1795709926230,"registrationNotOfferedAt":1795709926230}}}}`))
	f.Add([]byte(`{"mcpOAuth":{"srv|x":{"accessToken":"SECRETSECRET","refreshToken":"SECRETSECRET","expiresAt":"soon"}},"mcpOAuthClientConfig":{"srv|x":{"clientSecret":"SECRETSECRET"}}}`))
	f.Add([]byte(`{"mcpOAuth":"x"}`))
	f.Add([]byte(`{"mcpOAuth":{"srv|x":[1]}}`))
	srv := storetest.ClaudeServer(f, "srv", `{"type":"http","url":"http://x/mcp"}`)
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err != nil {
			if c != nil || err.Error() == "" {
				t.Fatalf("error %v with result %+v", err, c)
			}
			return
		}
		current := map[string]bool{Key(srv): true}
		for k, e := range c.OAuth {
			e.Key = k
			for _, r := range entryRecords(func(key, kind string) store.Record { return store.Record{Key: key, Kind: kind} }, e, srv, storetest.Now) {
				if strings.Contains(r.Detail, "SECRETSECRET") {
					t.Fatalf("token value in %q", r.Detail)
				}
				if r.Active && r.Until == nil && r.Kind != KindTokens {
					t.Fatalf("active gate without a lapse time: %+v", r)
				}
			}
		}
		for _, r := range credentialRecords(store.Credentials, "f", parsedStore{c: c, oauthByName: keysByName(c.OAuth), clientByName: keysByName(c.ClientConfig)}, srv, ownKey(srv), current, storetest.Now) {
			if strings.Contains(r.Detail, "SECRETSECRET") {
				t.Fatalf("token value in %q", r.Detail)
			}
		}
	})
}
