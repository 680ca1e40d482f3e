package cache

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"github.com/mcpmend/mcpmend/internal/jsonedit"
	"github.com/mcpmend/mcpmend/internal/lockedfile"
	"github.com/mcpmend/mcpmend/registry"
)

// ResetRequest is what a reset is asked to clear.
type ResetRequest struct {
	Server registry.Server
	// Configured is every configured server: a credentials entry another
	// scope's definition still uses is never counted as orphaned.
	Configured []registry.Server
	// ForgetTokens also removes stored tokens and client secrets (what
	// `claude mcp logout` does); without it they are kept.
	ForgetTokens bool
	// LockWait bounds the wait for a store owner's lock (Claude Code's
	// .storage-write.lock); 0 means the lock's stale time.
	LockWait time.Duration
}

// ResetPlanner is a store that can plan its part of a reset: the mutations
// that clear what it remembers about req.Server, none when it remembers
// nothing. It reads the store once and plans from exactly those bytes (the
// mutation's hashes come from the same read), so a record that changes
// afterwards makes Apply refuse rather than remove something unplanned.
// Records that only mention the server beside other data are never planned.
// A damaged store returns a *DamagedError and the whole reset is refused.
type ResetPlanner interface {
	Name() string
	PlanReset(ctx context.Context, env registry.Env, req ResetRequest) ([]Mutation, error)
}

// DefaultResetPlanners is every store a reset changes, in the order its
// steps run: the gate stamps first, then the needs-auth entry (so a session
// starting in between still finds a gate and writes nothing new), then
// mcp-remote's files, then Claude Desktop's Local Storage (the one step that
// may have to wait for its app to quit). keychain overrides the platform's
// Keychain (tests); nil means the platform's.
func DefaultResetPlanners(configured []registry.Server, keychain *Keychain) []ResetPlanner {
	return []ResetPlanner{
		CredentialsStore{Configured: configured, Keychain: keychain},
		NeedsAuthStore{},
		MCPRemoteStore{},
		DesktopLocalStorage{Others: serverNames(configured)},
	}
}

// PlanReset asks every planner and returns their mutations. Any error —
// a damaged store above all — refuses the whole reset before anything is
// written: a reset either plans from stores it read faithfully or not at all.
func PlanReset(ctx context.Context, env registry.Env, req ResetRequest, planners []ResetPlanner) ([]Mutation, error) {
	var muts []Mutation
	for _, p := range planners {
		m, err := p.PlanReset(ctx, env, req)
		if err != nil {
			var de *DamagedError
			if errors.As(err, &de) {
				return nil, fmt.Errorf("refused, nothing was changed: %w; mcpmend never writes a store it cannot read faithfully", err)
			}
			return nil, fmt.Errorf("refused, nothing was changed: %s: %w", p.Name(), err)
		}
		for _, x := range m {
			if len(x.Describe()) > 0 {
				muts = append(muts, x)
			}
		}
	}
	return muts, nil
}

// PlanReset implements ResetPlanner for gate A: the needs-auth entry filed
// under the server's name, whatever its age (a lapsed entry blocks nothing
// but is still memory of the server). The file has no lock and is compact.
func (NeedsAuthStore) PlanReset(_ context.Context, env registry.Env, req ResetRequest) ([]Mutation, error) {
	srv := req.Server
	if srv.Client != registry.ClaudeCode {
		return nil, nil
	}
	path := NeedsAuthFile(env)
	snap, err := lockedfile.Read(path)
	if err != nil || !snap.Exists {
		return nil, err
	}
	entries, err := ParseNeedsAuth(snap.Data)
	if err != nil {
		return nil, &DamagedError{Store: StoreNeedsAuth, File: path, Reason: err.Error()}
	}
	for _, e := range entries {
		if e.Name != srv.Name {
			continue
		}
		detail := "gate A: the needs-auth cache entry"
		if e.Problem == "" {
			detail += " written " + msTime(e.TimestampMs).UTC().Format(time.RFC3339)
		}
		m, err := jsonDeleteFrom(StoreNeedsAuth, path, nil, 0, snap.Data, []JSONTarget{
			{Path: jsonedit.Path{srv.Name}, Kind: KindNeedsAuth, Detail: detail}})
		if err != nil {
			return nil, err
		}
		return []Mutation{m}, nil
	}
	return nil, nil
}

// jsonDeleteFrom builds a JSONDelete whose hashes come from data, the bytes
// the caller planned from (compact layout, as Claude Code writes these files).
func jsonDeleteFrom(store, file string, lock *lockedfile.DirLock, perm fs.FileMode, data []byte, targets []JSONTarget) (*JSONDelete, error) {
	m := &JSONDelete{StoreName: store, File: file, Lock: specOfLock(lock), Perm: perm, Style: jsonedit.Compact}
	if err := m.planTargets(data, targets); err != nil {
		return nil, err
	}
	return m, nil
}

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

func planKeychain(ctx context.Context, kc *Keychain, it KeychainItem, lock *lockedfile.DirLock, srv registry.Server, current map[string]bool, forget bool) (*KeychainDelete, error) {
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
			out = append(out, oauthTargets(e, srv, forget)...)
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
func oauthTargets(e OAuthEntry, srv registry.Server, forget bool) []JSONTarget {
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
			gatesOf(e, srv) + ": removed whole, as Claude Code does after a successful connection"}}
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
	return " (clears gate " + strings.Join(g, " and ") + ")"
}

// PlanReset implements ResetPlanner for mcp-remote: the server's own files,
// as mcp-remote's invalidateCredentials("all") would remove them — the
// sign-in in progress (code_verifier_*, discovery_state_*), the client
// registration, and the tokens — except that tokens are kept unless
// ForgetTokens, and so is the registration they were issued to (a refresh
// needs the same client). Leases (refresh_in_progress.json) belong to a
// running mcp-remote and unknown files to someone else: never touched.
func (s MCPRemoteStore) PlanReset(ctx context.Context, env registry.Env, req ResetRequest) ([]Mutation, error) {
	recs, err := s.Inspect(ctx, env, req.Server, time.Now())
	if err != nil {
		var de *DamagedError
		if !errors.As(err, &de) || len(recs) == 0 {
			return nil, err
		}
		// A tokens file that does not parse is still that server's file:
		// mcp-remote treats it as no tokens, and deleting it whole (with a
		// byte-for-byte backup) is safe. Nothing is edited inside it.
	}
	hasTokens := map[string]bool{} // directory → a tokens file is there
	for _, r := range recs {
		if r.Kind == KindMCPRemoteTokens {
			hasTokens[filepath.Dir(r.File)] = true
		}
	}
	var targets []FileTarget
	for _, r := range recs {
		if !r.Resettable {
			continue
		}
		switch {
		case r.Kind == KindMCPRemoteFlow,
			r.Kind == KindMCPRemoteClient && (req.ForgetTokens || !hasTokens[filepath.Dir(r.File)]),
			r.Kind == KindMCPRemoteTokens && req.ForgetTokens:
			targets = append(targets, FileTarget{Path: r.File, Kind: r.Kind, Detail: r.Detail})
		}
	}
	if len(targets) == 0 {
		return nil, nil
	}
	m, err := PlanFileDelete(StoreMCPRemote, targets)
	if err != nil {
		return nil, err
	}
	return []Mutation{m}, nil
}

// RunReset records the mutations as one journal entry and applies them.
// When a store refuses or fails, the parts already applied are undone and
// the parts still waiting are cancelled, so a reset either takes effect in
// every store that could be written or changes nothing; steps that wait for
// a locked store (Claude Desktop running) stay waiting when nothing failed.
func RunReset(ctx context.Context, j *Journal, ref ServerRef, muts []Mutation) (*Entry, error) {
	e, err := j.Begin(ref, muts, BeginOptions{})
	if err != nil {
		return nil, err
	}
	e, err = j.Apply(ctx, e.ID)
	if err != nil {
		return e, err
	}
	if !Failed(e) {
		return e, nil
	}
	undone, err := j.Undo(ctx, e.ID)
	if err != nil {
		return undone, fmt.Errorf("a store refused the reset and rolling back the others failed: %w", err)
	}
	return undone, nil
}

// Failed reports whether some step of e failed.
func Failed(e *Entry) bool {
	for _, s := range e.Steps {
		if s.Status == StatusFailed {
			return true
		}
	}
	return false
}
