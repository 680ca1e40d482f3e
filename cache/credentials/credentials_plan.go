package credentials

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os/user"
	"path/filepath"
	"strings"

	"github.com/mcpmend/mcpmend/internal/lazyre"

	"github.com/mcpmend/mcpmend/cache/journal"
	"github.com/mcpmend/mcpmend/cache/mutation"
	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/internal/jsonedit"
	"github.com/mcpmend/mcpmend/internal/keychain"
	"github.com/mcpmend/mcpmend/internal/lockedfile"
	"github.com/mcpmend/mcpmend/registry"
)

// PlanReset implements store.Store for Claude Code's credentials, in
// .credentials.json and (macOS) the Keychain item, each written under
// .storage-write.lock:
//   - a tokenless entry (no access or refresh token) goes whole — what
//     Claude Code itself does after a successful connection — which clears
//     gates B and C;
//   - an entry holding tokens keeps them and loses only its gate stamps;
//   - with ForgetTokens the entry, its mcpOAuthClientConfig entry and the
//     entries under the name that no current configuration hashes to go too
//     (what `claude mcp logout` does, plus the orphans).
func (s Store) PlanReset(ctx context.Context, env registry.Env, req store.ResetRequest) ([]journal.Mutation, error) {
	srv := req.Server
	if srv.Client != registry.ClaudeCode {
		return nil, nil
	}
	lock := Lock(env)
	if req.LockWait > 0 {
		lock.Wait = req.LockWait
	}
	current := s.currentKeys(srv, ownKey(srv))
	var muts []journal.Mutation
	path := File(env)
	snap, err := lockedfile.Read(path)
	if err != nil {
		return nil, err
	}
	if snap.Exists {
		c, err := Parse(snap.Data)
		if err != nil {
			return nil, &store.DamagedError{Store: store.Credentials, File: path, Reason: err.Error()}
		}
		m, err := mutation.JSONDeleteFrom(store.Credentials, path, &lock, 0o600, snap.Data, credentialTargets(c, srv, current, req.ForgetTokens))
		if err != nil {
			return nil, err
		}
		if err := linkRefusal(path, len(m.Targets) > 0); err != nil {
			return nil, err
		}
		muts = append(muts, m)
	}
	if kc := s.keychain(env); kc != nil {
		m, err := planKeychain(ctx, kc, KeychainItem(env), &lock, srv, current, req.ForgetTokens)
		if err != nil {
			return nil, err
		}
		if m != nil {
			muts = append(muts, m)
		}
	}
	return muts, nil
}

func planKeychain(ctx context.Context, kc *keychain.Client, it keychain.Item, lock *lockedfile.DirLock, srv registry.Server, current map[string]bool, forget bool) (*mutation.KeychainDelete, error) {
	data, found, err := kc.Find(ctx, it)
	if err != nil || !found {
		return nil, err
	}
	c, err := Parse(data)
	if err != nil {
		return nil, &store.DamagedError{Store: store.Keychain, File: it.String(), Reason: err.Error()}
	}
	m := mutation.NewKeychainDelete(kc, it, mutation.SpecOfLock(lock))
	for _, t := range credentialTargets(c, srv, current, forget) {
		if raw, ok, _ := jsonedit.Get(data, t.Path); ok {
			t.Hash = mutation.HashBytes(raw)
			m.Targets = append(m.Targets, t)
		}
	}
	return m, nil
}

// credentialTargets decides what of c a reset of srv removes (see
// Store.PlanReset).
func credentialTargets(c *Credentials, srv registry.Server, current map[string]bool, forget bool) []mutation.JSONTarget {
	var out []mutation.JSONTarget
	if store.GatedTransport(srv) {
		key := Key(srv)
		if e, ok := c.OAuth[key]; ok {
			out = append(out, oauthTargets(e, srv, forget)...)
		}
		if _, ok := c.ClientConfig[key]; ok && forget {
			out = append(out, mutation.JSONTarget{Path: jsonedit.Path{"mcpOAuthClientConfig", key}, Kind: KindClientConfig,
				Detail: "the stored OAuth client configuration (forget_tokens)"})
		}
	}
	if !forget {
		return out
	}
	prefix := srv.Name + "|"
	for _, k := range sortedKeys(c.OAuth) {
		if strings.HasPrefix(k, prefix) && !current[k] {
			out = append(out, mutation.JSONTarget{Path: jsonedit.Path{"mcpOAuth", k}, Kind: KindOrphanedOAuth,
				Detail: "entry of an earlier url/headers/type of " + srv.Name + " holding " + holds(c.OAuth[k]) + " (forget_tokens)"})
		}
	}
	for _, k := range sortedKeys(c.ClientConfig) {
		if strings.HasPrefix(k, prefix) && !current[k] {
			out = append(out, mutation.JSONTarget{Path: jsonedit.Path{"mcpOAuthClientConfig", k}, Kind: KindOrphanedClientConfig,
				Detail: "client configuration of an earlier url/headers/type of " + srv.Name + " (forget_tokens)"})
		}
	}
	return out
}

// oauthTargets is what goes of srv's own mcpOAuth entry.
func oauthTargets(e OAuthEntry, srv registry.Server, forget bool) []mutation.JSONTarget {
	entry := jsonedit.Path{"mcpOAuth", e.Key}
	tokens := e.HasAccessToken || e.HasRefreshToken
	switch {
	case e.Problem != "":
		if forget {
			return []mutation.JSONTarget{{Path: entry, Kind: KindOAuthDiscovery, Detail: "malformed entry (" + e.Problem + ") (forget_tokens)"}}
		}
		return nil // Claude Code ignores it; it blocks nothing
	case forget:
		return []mutation.JSONTarget{{Path: entry, Kind: entryKind(e), Detail: "the whole entry, holding " + holds(e) + " (forget_tokens: what `claude mcp logout` removes)"}}
	case !tokens:
		return []mutation.JSONTarget{{Path: entry, Kind: entryKind(e), Detail: "the tokenless entry holding " + holds(e) +
			gatesOf(e, srv) + ": removed whole, as Claude Code does after a successful connection"}}
	}
	var out []mutation.JSONTarget
	if e.Discovery != nil && e.Discovery.TokenlessRejectedAt.Present {
		out = append(out, mutation.JSONTarget{Path: append(entry[:2:2], "discoveryState", "tokenlessRejectedAt"), Kind: store.KindTokenlessRejection,
			Detail: "the stamp of a sign-in attempt that got no token (tokenlessRejectedAt) beside stored tokens (the tokens are kept)"})
	}
	if e.Discovery != nil && e.Discovery.RegistrationNotOffered.Present {
		out = append(out, mutation.JSONTarget{Path: append(entry[:2:2], "discoveryState", "registrationNotOfferedAt"), Kind: store.KindRegistrationNotOffered,
			Detail: "the registration-not-offered stamp (registrationNotOfferedAt) beside stored tokens (the tokens are kept)"})
	}
	return out
}

// entryKind names an entry by the most telling thing in it.
func entryKind(e OAuthEntry) string {
	switch {
	case e.HasAccessToken || e.HasRefreshToken:
		return KindTokens
	case e.Discovery != nil && e.Discovery.TokenlessRejectedAt.Present:
		return store.KindTokenlessRejection
	case e.Discovery != nil && e.Discovery.RegistrationNotOffered.Present:
		return store.KindRegistrationNotOffered
	}
	return KindOAuthDiscovery
}

// plural is "s" for more than one.
func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// gatesOf says what the gate stamps an entry carries do, for a change's
// detail, in words rather than gate letters.
// For a server that sends headers the stamps block nothing (gates B and C
// apply only to servers without headers), and the detail says so instead.
func gatesOf(e OAuthEntry, srv registry.Server) string {
	var g []string
	if e.Discovery != nil && e.Discovery.TokenlessRejectedAt.Present {
		g = append(g, "B")
	}
	if e.Discovery != nil && e.Discovery.RegistrationNotOffered.Present {
		g = append(g, "C")
	}
	switch {
	case len(g) == 0:
		return ""
	case sendsHeaders(srv):
		return " (its stamps do not block this server, which sends headers)"
	}
	return " (its stamp" + plural(len(g)) + " made Claude Code skip this server; removing " + map[bool]string{true: "it", false: "them"}[len(g) == 1] + " ends that)"
}

// Lock is the lock Claude Code takes before writing
// .credentials.json: proper-lockfile on "<secure storage dir>/.storage-write",
// i.e. the directory "<dir>/.storage-write.lock", where dir is the directory
// of File ($CLAUDE_SECURESTORAGE_CONFIG_DIR, else the config
// home). Claude Code retries it 10 times (100 ms–1 s); we wait up to its
// stale time, then refuse.
func Lock(env registry.Env) lockedfile.DirLock {
	return lockedfile.DirLock{
		Path:  filepath.Join(filepath.Dir(File(env)), ".storage-write.lock"),
		Stale: mutation.StorageLockStale,
		Owner: "Claude Code (writing its credentials)",
	}
}

// accountName is Claude Code's Keychain account: $USER, else the OS user
// name, replaced by "claude-code-user" when it has other characters.
var accountName = lazyre.New(`^[a-zA-Z0-9._-]+$`)

// KeychainItem is the Keychain item Claude Code keeps its
// credentials in for env: service "Claude Code-credentials", suffixed with
// "-" + 8 hex of sha256(config dir) when CLAUDE_CONFIG_DIR (or
// CLAUDE_SECURESTORAGE_CONFIG_DIR, which wins, when non-empty) moves it.
func KeychainItem(env registry.Env) keychain.Item {
	service := "Claude Code-credentials"
	dir := ""
	if v, ok := store.LookupEnv(env, "CLAUDE_SECURESTORAGE_CONFIG_DIR"); ok {
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

// LinkNote is what Claude Code does with a .credentials.json that is a
// symlink or has a second hard link, measured with Claude Code 2.1.328 on
// Linux (`claude mcp remove` on a linked file): it reads through the link,
// and its next write replaces the name with a plain file of its own, so the
// linked copy silently goes stale.
const LinkNote = "Claude Code reads it through the link, but its next write replaces the link with a plain file (measured with Claude Code 2.1.328), so the linked copy goes stale"

// linkRefusal refuses, before anything is recorded, a reset that would have
// to write a linked .credentials.json: mcpmend never writes through it (its
// owner does not either) and never splits it.
func linkRefusal(path string, writes bool) error {
	if !writes {
		return nil
	}
	err := lockedfile.CheckLinks(path, lockedfile.RefuseLinks)
	var le *lockedfile.LinkError
	if errors.As(err, &le) {
		le.Why = LinkNote
	}
	return err
}
