package cache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os/user"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/mcpmend/mcpmend/internal/jsonedit"
	"github.com/mcpmend/mcpmend/internal/keychain"
	"github.com/mcpmend/mcpmend/internal/lockedfile"
	"github.com/mcpmend/mcpmend/registry"
)

// PlanReset implements ResetPlanner for Claude Code's credentials, in
// .credentials.json and (macOS) the Keychain item, each written under
// .storage-write.lock:
//   - a tokenless entry (no access or refresh token) goes whole — what
//     Claude Code itself does after a successful connection — which clears
//     gates B and C;
//   - an entry holding tokens keeps them and loses only its gate stamps;
//   - with ForgetTokens the entry, its mcpOAuthClientConfig entry and the
//     entries under the name that no current configuration hashes to go too
//     (what `claude mcp logout` does, plus the orphans).
func (s CredentialsStore) PlanReset(ctx context.Context, env registry.Env, req ResetRequest) ([]Mutation, error) {
	srv := req.Server
	if srv.Client != registry.ClaudeCode {
		return nil, nil
	}
	lock := CredentialsLock(env)
	if req.LockWait > 0 {
		lock.Wait = req.LockWait
	}
	current := s.currentKeys(srv)
	var muts []Mutation
	path := CredentialsFile(env)
	snap, err := lockedfile.Read(path)
	if err != nil {
		return nil, err
	}
	if snap.Exists {
		c, err := ParseCredentials(snap.Data)
		if err != nil {
			return nil, &DamagedError{Store: StoreCredentials, File: path, Reason: err.Error()}
		}
		m, err := jsonDeleteFrom(StoreCredentials, path, &lock, 0o600, snap.Data, credentialTargets(c, srv, current, req.ForgetTokens))
		if err != nil {
			return nil, err
		}
		muts = append(muts, m)
	}
	if kc := s.keychain(env); kc != nil {
		m, err := planKeychain(ctx, kc, ClaudeCredentialsItem(env), &lock, srv, current, req.ForgetTokens)
		if err != nil {
			return nil, err
		}
		if m != nil {
			muts = append(muts, m)
		}
	}
	return muts, nil
}

func planKeychain(ctx context.Context, kc *keychain.Client, it keychain.Item, lock *lockedfile.DirLock, srv registry.Server, current map[string]bool, forget bool) (*KeychainDelete, error) {
	data, found, err := kc.Find(ctx, it)
	if err != nil || !found {
		return nil, err
	}
	c, err := ParseCredentials(data)
	if err != nil {
		return nil, &DamagedError{Store: StoreKeychain, File: it.String(), Reason: err.Error()}
	}
	m := &KeychainDelete{Security: kc.Security, Timeout: kc.Timeout, Item: it, Lock: specOfLock(lock)}
	for _, t := range credentialTargets(c, srv, current, forget) {
		if raw, ok, _ := jsonedit.Get(data, t.Path); ok {
			t.Hash = hashBytes(raw)
			m.Targets = append(m.Targets, t)
		}
	}
	return m, nil
}

// credentialTargets decides what of c a reset of srv removes (see
// CredentialsStore.PlanReset).
func credentialTargets(c *Credentials, srv registry.Server, current map[string]bool, forget bool) []JSONTarget {
	var out []JSONTarget
	if gatedTransport(srv) {
		key := CredentialKey(srv)
		if e, ok := c.OAuth[key]; ok {
			out = append(out, oauthTargets(e, forget)...)
		}
		if _, ok := c.ClientConfig[key]; ok && forget {
			out = append(out, JSONTarget{Path: jsonedit.Path{"mcpOAuthClientConfig", key}, Kind: KindClientConfig,
				Detail: "the stored OAuth client configuration (forget_tokens)"})
		}
	}
	if !forget {
		return out
	}
	prefix := srv.Name + "|"
	for _, k := range sortedKeys(c.OAuth) {
		if strings.HasPrefix(k, prefix) && !current[k] {
			out = append(out, JSONTarget{Path: jsonedit.Path{"mcpOAuth", k}, Kind: KindOrphanedOAuth,
				Detail: "entry of an earlier url/headers/type of " + srv.Name + " holding " + holds(c.OAuth[k]) + " (forget_tokens)"})
		}
	}
	for _, k := range sortedKeys(c.ClientConfig) {
		if strings.HasPrefix(k, prefix) && !current[k] {
			out = append(out, JSONTarget{Path: jsonedit.Path{"mcpOAuthClientConfig", k}, Kind: KindOrphanedClientConfig,
				Detail: "client configuration of an earlier url/headers/type of " + srv.Name + " (forget_tokens)"})
		}
	}
	return out
}

// oauthTargets is what goes of srv's own mcpOAuth entry.
func oauthTargets(e OAuthEntry, forget bool) []JSONTarget {
	entry := jsonedit.Path{"mcpOAuth", e.Key}
	tokens := e.HasAccessToken || e.HasRefreshToken
	switch {
	case e.Problem != "":
		if forget {
			return []JSONTarget{{Path: entry, Kind: KindOAuthDiscovery, Detail: "malformed entry (" + e.Problem + ") (forget_tokens)"}}
		}
		return nil // Claude Code ignores it; it blocks nothing
	case forget:
		return []JSONTarget{{Path: entry, Kind: entryKind(e), Detail: "the whole entry, holding " + holds(e) + " (forget_tokens: what `claude mcp logout` removes)"}}
	case !tokens:
		return []JSONTarget{{Path: entry, Kind: entryKind(e), Detail: "the tokenless entry holding " + holds(e) +
			gatesOf(e) + ": removed whole, as Claude Code does after a successful connection"}}
	}
	var out []JSONTarget
	if e.Discovery != nil && e.Discovery.TokenlessRejectedAt.Present {
		out = append(out, JSONTarget{Path: append(entry[:2:2], "discoveryState", "tokenlessRejectedAt"), Kind: KindTokenlessRejection,
			Detail: "gate B stamp beside stored tokens (the tokens are kept)"})
	}
	if e.Discovery != nil && e.Discovery.RegistrationNotOffered.Present {
		out = append(out, JSONTarget{Path: append(entry[:2:2], "discoveryState", "registrationNotOfferedAt"), Kind: KindRegistrationNotOffered,
			Detail: "gate C stamp beside stored tokens (the tokens are kept)"})
	}
	return out
}

// entryKind names an entry by the most telling thing in it.
func entryKind(e OAuthEntry) string {
	switch {
	case e.HasAccessToken || e.HasRefreshToken:
		return KindTokens
	case e.Discovery != nil && e.Discovery.TokenlessRejectedAt.Present:
		return KindTokenlessRejection
	case e.Discovery != nil && e.Discovery.RegistrationNotOffered.Present:
		return KindRegistrationNotOffered
	}
	return KindOAuthDiscovery
}

// gatesOf names the gate stamps an entry carries, for a change's detail.
func gatesOf(e OAuthEntry) string {
	var g []string
	if e.Discovery != nil && e.Discovery.TokenlessRejectedAt.Present {
		g = append(g, "B")
	}
	if e.Discovery != nil && e.Discovery.RegistrationNotOffered.Present {
		g = append(g, "C")
	}
	if len(g) == 0 {
		return ""
	}
	return " (clears gate " + strings.Join(g, " and ") + ")"
}

// CredentialsLock is the lock Claude Code takes before writing
// .credentials.json: proper-lockfile on "<secure storage dir>/.storage-write",
// i.e. the directory "<dir>/.storage-write.lock", where dir is the directory
// of CredentialsFile ($CLAUDE_SECURESTORAGE_CONFIG_DIR, else the config
// home). Claude Code retries it 10 times (100 ms–1 s); we wait up to its
// stale time, then refuse.
func CredentialsLock(env registry.Env) lockedfile.DirLock {
	return lockedfile.DirLock{
		Path:  filepath.Join(filepath.Dir(CredentialsFile(env)), ".storage-write.lock"),
		Stale: StorageLockStale,
		Owner: "Claude Code (writing its credentials)",
	}
}

// accountName is Claude Code's Keychain account: $USER, else the OS user
// name, replaced by "claude-code-user" when it has other characters.
var accountName = regexp.MustCompile(`^[a-zA-Z0-9._-]+$`)

// ClaudeCredentialsItem is the Keychain item Claude Code keeps its
// credentials in for env: service "Claude Code-credentials", suffixed with
// "-" + 8 hex of sha256(config dir) when CLAUDE_CONFIG_DIR (or
// CLAUDE_SECURESTORAGE_CONFIG_DIR, which wins, when non-empty) moves it.
func ClaudeCredentialsItem(env registry.Env) keychain.Item {
	service := "Claude Code-credentials"
	dir := ""
	if v, ok := lookupEnv(env, "CLAUDE_SECURESTORAGE_CONFIG_DIR"); ok {
		dir = v
	} else if env.Var("CLAUDE_CONFIG_DIR") != "" {
		dir = env.ClaudeConfigHome()
	}
	if dir != "" {
		sum := sha256.Sum256([]byte(dir))
		service += "-" + hex.EncodeToString(sum[:])[:8]
	}
	acct := env.Var("USER")
	if acct == "" {
		if u, err := user.Current(); err == nil {
			acct = u.Username
		}
	}
	if !accountName.MatchString(acct) {
		acct = "claude-code-user"
	}
	return keychain.Item{Service: service, Account: acct}
}
