package credentials

import (
	"context"
	"time"

	"github.com/tidwall/gjson"

	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/internal/nodejson"
	"github.com/mcpmend/mcpmend/registry"
)

// tokenMargin is how long before its expiry a stored access token is
// treated as expired: a call made with it must still be accepted.
const tokenMargin = time.Minute

// StoredToken is the OAuth access token Claude Code stored for a server.
// Value is a credential: never print it.
type StoredToken struct {
	Found   bool       // an mcpOAuth entry with an access token exists for the server
	Value   string     // the access token, when Found and not Expired
	Expires *time.Time // when it expires, when the entry says
	Expired bool       // expired (or within a minute of it): not to be used
}

// AccessToken reads the access token Claude Code stored for srv
// (mcpOAuth under Key, in .credentials.json or the macOS
// Keychain item), read only. It never refreshes: a refresh rotates the
// refresh token and would sign Claude Code out. An expired token is reported
// as Expired with no Value.
func AccessToken(ctx context.Context, env registry.Env, srv registry.Server, now time.Time) (StoredToken, error) {
	if srv.Client != registry.ClaudeCode || !store.GatedTransport(srv) {
		return StoredToken{}, nil
	}
	key := Key(srv)
	data, ok, err := nodejson.ReadFile(File(env))
	if err != nil {
		return StoredToken{}, err
	}
	if t := tokenIn(data, ok, key, now); t.Found {
		return t, nil
	}
	if kc := (Store{}).keychain(env); kc != nil {
		data, found, err := kc.Find(ctx, KeychainItem(env))
		if err != nil {
			return StoredToken{}, err
		}
		return tokenIn(data, found, key, now), nil
	}
	return StoredToken{}, nil
}

// tokenIn finds key's access token in one copy of the credential JSON.
func tokenIn(data []byte, ok bool, key string, now time.Time) StoredToken {
	if !ok || !gjson.ValidBytes(data) {
		return StoredToken{}
	}
	e := gjson.GetBytes(data, "mcpOAuth."+gjson.Escape(key))
	access := e.Get("accessToken")
	if access.Type != gjson.String || access.String() == "" {
		return StoredToken{}
	}
	t := StoredToken{Found: true}
	if exp := e.Get("expiresAt"); exp.Type == gjson.Number {
		at := nodejson.MsTime(exp.Float()).UTC()
		t.Expires = &at
		t.Expired = !now.Add(tokenMargin).Before(at)
	}
	if !t.Expired {
		t.Value = access.String()
	}
	return t
}
