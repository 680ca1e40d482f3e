package credentials

import (
	"fmt"

	"github.com/mcpmend/mcpmend/cache/journal"
	"github.com/mcpmend/mcpmend/cache/mutation"
	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/registry"
)

func init() {
	journal.RegisterScope(store.Credentials, scopeFile)
	journal.RegisterScope(store.Keychain, scopeKeychain)
}

// scopeFile admits only what PlanReset plans for .credentials.json: this
// home's file, under Claude Code's storage lock, 0600, records filed under
// the server's name.
func scopeFile(env registry.Env, srv journal.ServerRef, m journal.Mutation) error {
	jd, ok := m.(*mutation.JSONDelete)
	if !ok {
		return fmt.Errorf("kind %s", m.Kind())
	}
	lock := Lock(env)
	return jd.Within(File(env), &lock, 0o600, mutation.UnderName(srv.Name, "mcpOAuth", "mcpOAuthClientConfig"))
}

// scopeKeychain is scopeFile for the Keychain item.
func scopeKeychain(env registry.Env, srv journal.ServerRef, m journal.Mutation) error {
	kd, ok := m.(*mutation.KeychainDelete)
	if !ok {
		return fmt.Errorf("kind %s", m.Kind())
	}
	lock := Lock(env)
	return kd.Within(KeychainItem(env), &lock, mutation.UnderName(srv.Name, "mcpOAuth", "mcpOAuthClientConfig"))
}
