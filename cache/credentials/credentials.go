package credentials

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tidwall/gjson"

	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/internal/ccversion"
	"github.com/mcpmend/mcpmend/internal/keychain"
	"github.com/mcpmend/mcpmend/internal/lockedfile"
	"github.com/mcpmend/mcpmend/internal/nodejson"
	"github.com/mcpmend/mcpmend/registry"
)

// Lifetimes of gates B and C.
const (
	TokenlessRejectionTTL     = 7 * 24 * time.Hour
	RegistrationNotOfferedTTL = 30 * 24 * time.Hour
)

// Record kinds of the credentials store besides the gates.
const (
	KindTokens               = "tokens"                 // an access and/or refresh token is stored
	KindOAuthDiscovery       = "oauth-discovery"        // a tokenless entry: discovery done, nothing more
	KindClientConfig         = "client-config"          // mcpOAuthClientConfig: a stored client secret
	KindOrphanedOAuth        = "orphaned-oauth"         // mcpOAuth entry filed under an old url/headers/type
	KindOrphanedClientConfig = "orphaned-client-config" // the same for mcpOAuthClientConfig
	KindLinkedFile           = "linked-file"            // .credentials.json is a symlink or hard-linked (see LinkNote)
)

// Store is Claude Code's credential store: .credentials.json under
// the config home and, on macOS, the same JSON in a Keychain item. It holds
// tokens and the stamps of gates B and C, keyed by CredentialKey.
type Store struct {
	// Keychain reads the macOS Keychain item. Nil means the platform's:
	// /usr/bin/security on macOS when the running user's own profile is
	// inspected, none elsewhere. Tests set a stand-in on any OS.
	Keychain *keychain.Client
	// Configured lists every configured server. Entries filed under srv's
	// name whose key matches none of them are reported as orphaned; when
	// nil, only srv's own key counts as current.
	Configured []registry.Server

	// keychainRead, when set, reads the Keychain item once for every
	// server inspected (each read runs security(1)).
	keychainRead *onceRead
	// memo, when set, keeps each parsed store and the index of configured
	// keys by name for one pass (ForInspection).
	memo *store.Memo
}

// onceRead remembers one read.
type onceRead struct {
	once  sync.Once
	data  []byte
	found bool
	err   error
}

// Name implements store.Store.
func (Store) Name() string { return store.Credentials }

// File is .credentials.json for env: in
// $CLAUDE_SECURESTORAGE_CONFIG_DIR when set, else in the config home.
func File(env registry.Env) string {
	if d, ok := store.LookupEnv(env, "CLAUDE_SECURESTORAGE_CONFIG_DIR"); ok {
		return filepath.Join(d, ".credentials.json")
	}
	return filepath.Join(env.ClaudeConfigHome(), ".credentials.json")
}

// claudeType is the type Claude Code hashes: the configured type with
// streamable-http normalised to http; the transport when none is written.
func claudeType(srv registry.Server) string {
	t := srv.Raw.Type
	if t == "" {
		return string(srv.Transport)
	}
	if t == "streamable-http" {
		return "http"
	}
	return t
}

// KeyJSON is the JSON Claude Code hashes for srv's key: compact
// {"type":…,"url":…,"headers":{…}} with headers in config order.
func KeyJSON(srv registry.Server) string {
	pairs := make([]nodejson.Pair, len(srv.Raw.Headers))
	for i, h := range srv.Raw.Headers {
		pairs[i] = nodejson.Pair{Key: h.Name, Value: h.Value.Reveal()}
	}
	return `{"type":` + nodejson.Quote(claudeType(srv)) + `,"url":` + nodejson.Quote(srv.Raw.URL.Reveal()) +
		`,"headers":` + nodejson.StringifyObject(nodejson.OwnKeysOrder(nodejson.Object(pairs))) + `}`
}

// Key is the key Claude Code files srv's tokens and stamps under
// in mcpOAuth and mcpOAuthClientConfig: name|<16 hex of sha256(CredentialKeyJSON)>.
// Changing the url, headers or type changes it and orphans the old entry.
func Key(srv registry.Server) string {
	sum := sha256.Sum256([]byte(KeyJSON(srv)))
	return srv.Name + "|" + hex.EncodeToString(sum[:])[:16]
}

// Credentials is the part of the credential store mcpmend reads. Token
// values are never kept: only whether they are there.
type Credentials struct {
	OAuth        map[string]OAuthEntry        // mcpOAuth
	ClientConfig map[string]ClientConfigEntry // mcpOAuthClientConfig
}

// OAuthEntry is one mcpOAuth entry.
type OAuthEntry struct {
	Key             string
	ServerName      string
	ServerURL       string // as stored; redact before printing
	HasAccessToken  bool   // truthy accessToken
	HasRefreshToken bool
	HasClientID     bool
	HasClientSecret bool
	ExpiresAtMs     float64
	HasExpiresAt    bool
	Discovery       *DiscoveryState
	Problem         string // set when the entry is not an object
}

// DiscoveryState is an entry's discoveryState, where the gate stamps live.
type DiscoveryState struct {
	AuthorizationServerURL string
	OAuthMetadataFound     bool // exactly true
	TokenlessRejectedAt    stamp
	RegistrationNotOffered stamp
}

// stamp is an epoch-ms field that may be absent, null or malformed.
type stamp struct {
	Present bool // the key exists (JavaScript: !== undefined)
	Valid   bool // and holds a number
	Ms      float64
}

// ClientConfigEntry is one mcpOAuthClientConfig entry.
type ClientConfigEntry struct {
	Key             string
	HasClientSecret bool
}

// Parse parses the credential JSON (the file or the Keychain
// item's data). An error says why the store is damaged.
func Parse(data []byte) (*Credentials, error) {
	top, err := nodejson.ParseObject(data)
	if err != nil {
		return nil, err
	}
	c := &Credentials{OAuth: map[string]OAuthEntry{}, ClientConfig: map[string]ClientConfigEntry{}}
	if f := nodejson.Get(top, "mcpOAuth"); f.Present() {
		m := f.Object()
		if m == nil {
			return nil, fmt.Errorf("mcpOAuth is %s, not an object", gjsonKind(f.Raw))
		}
		for k, raw := range m {
			c.OAuth[k] = parseOAuthEntry(k, nodejson.Field{Raw: raw})
		}
	}
	if f := nodejson.Get(top, "mcpOAuthClientConfig"); f.Present() {
		m := f.Object()
		if m == nil {
			return nil, fmt.Errorf("mcpOAuthClientConfig is %s, not an object", gjsonKind(f.Raw))
		}
		for k, raw := range m {
			e := ClientConfigEntry{Key: k}
			if o := (nodejson.Field{Raw: raw}).Object(); o != nil {
				e.HasClientSecret = nodejson.Get(o, "clientSecret").Truthy()
			}
			c.ClientConfig[k] = e
		}
	}
	return c, nil
}

func gjsonKind(raw []byte) string {
	switch r := gjson.ParseBytes(raw); {
	case r.IsArray():
		return "an array"
	case r.Type == gjson.String:
		return "a string"
	case r.Type == gjson.Number:
		return "a number"
	case r.Type == gjson.True || r.Type == gjson.False:
		return "a boolean"
	}
	return "not an object"
}

func parseOAuthEntry(key string, f nodejson.Field) OAuthEntry {
	e := OAuthEntry{Key: key}
	o := f.Object()
	if o == nil {
		e.Problem = "entry is not an object"
		return e
	}
	e.ServerName, _ = nodejson.Get(o, "serverName").Str()
	e.ServerURL, _ = nodejson.Get(o, "serverUrl").Str()
	e.HasAccessToken = nodejson.Get(o, "accessToken").Truthy()
	e.HasRefreshToken = nodejson.Get(o, "refreshToken").Truthy()
	e.HasClientID = nodejson.Get(o, "clientId").Truthy()
	e.HasClientSecret = nodejson.Get(o, "clientSecret").Truthy()
	e.ExpiresAtMs, e.HasExpiresAt = nodejson.Get(o, "expiresAt").Number()
	if d := nodejson.Get(o, "discoveryState").Object(); d != nil {
		ds := &DiscoveryState{OAuthMetadataFound: string(d["oauthMetadataFound"]) == "true"}
		ds.AuthorizationServerURL, _ = nodejson.Get(d, "authorizationServerUrl").Str()
		ds.TokenlessRejectedAt = readStamp(d, "tokenlessRejectedAt")
		ds.RegistrationNotOffered = readStamp(d, "registrationNotOfferedAt")
		e.Discovery = ds
	}
	return e
}

func readStamp(m map[string]json.RawMessage, key string) stamp {
	raw, ok := m[key]
	if !ok {
		return stamp{}
	}
	ms, valid := nodejson.Field{Raw: raw}.Number()
	return stamp{Present: true, Valid: valid, Ms: ms}
}

// facts is the entry as every version's gates read it; nil for a
// malformed entry, which no version reads.
func (e OAuthEntry) facts() *ccversion.OAuthEntry {
	if e.Problem != "" {
		return nil
	}
	f := &ccversion.OAuthEntry{Tokens: e.HasAccessToken || e.HasRefreshToken, ClientID: e.HasClientID}
	if d := e.Discovery; d != nil {
		f.MetadataFound = d.OAuthMetadataFound
		if d.TokenlessRejectedAt.Valid {
			f.TokenlessRejectedAt = nodejson.PtrTime(nodejson.MsTime(d.TokenlessRejectedAt.Ms))
		}
		if d.RegistrationNotOffered.Valid {
			f.RegistrationNotOfferedAt = nodejson.PtrTime(nodejson.MsTime(d.RegistrationNotOffered.Ms))
		}
	}
	return f
}

// tokenless is Claude Code's precondition for gates B and C: an entry with
// neither token whose discovery found OAuth metadata.
func (e OAuthEntry) tokenless() (bool, string) {
	switch {
	case e.HasAccessToken || e.HasRefreshToken:
		return false, "the entry holds a token"
	case e.Discovery == nil || !e.Discovery.OAuthMetadataFound:
		return false, "discoveryState.oauthMetadataFound is not true"
	}
	return true, ""
}

// sendsHeaders is Claude Code's test that exempts a server from gates B and
// C: configured headers, a headersHelper, or oauth.xaa.
func sendsHeaders(srv registry.Server) bool {
	return store.HasHeaders(srv) || gjson.Get(srv.Raw.Entry, "oauth.xaa").Bool()
}

// GateVerdict is one gate's verdict on an entry for a configuration.
type GateVerdict struct {
	Active       bool
	Since, Until *time.Time // when the stamp was written and when it lapses
	Why          string     // one sentence: why it blocks or why not
}

// judgeGate applies the rules gates B and C share, then the stamp's window.
func judgeGate(srv registry.Server, e OAuthEntry, st stamp, ttl time.Duration, now time.Time, extra func() string) GateVerdict {
	var g GateVerdict
	if st.Valid {
		g.Since = nodejson.PtrTime(nodejson.MsTime(st.Ms))
		g.Until = nodejson.PtrTime(nodejson.MsTime(st.Ms).Add(ttl))
	}
	ok, why := e.tokenless()
	switch {
	case !store.GatedTransport(srv):
		g.Why = fmt.Sprintf("%s servers are never gated", srv.Transport)
	case sendsHeaders(srv):
		g.Why = "the configuration sends headers (or a headersHelper), so Claude Code does not apply this gate"
	case !ok:
		g.Why = why + ", so Claude Code does not apply this gate"
	case extra != nil && extra() != "":
		g.Why = extra()
	case !st.Valid:
		g.Why = "the stamp is not a number, so it never blocks"
	case nodejson.Within(st.Ms, ttl, now, true):
		g.Active = true
		g.Why = fmt.Sprintf("Claude Code skips the server without dialling until %s", g.Until.Format(time.RFC3339))
	case float64(now.UnixMilli())-st.Ms <= -float64(nodejson.ClockSkew.Milliseconds()):
		g.Why = "the stamp lies more than 60 s in the future: ignored until the clock catches up"
	default:
		g.Why = fmt.Sprintf("lapsed at %s: no longer blocks", g.Until.Format(time.RFC3339))
	}
	return g
}

// GateB judges tokenlessRejectedAt: blocks for 7 days after a 401 to a
// request sent without a token.
func (e OAuthEntry) GateB(srv registry.Server, now time.Time) GateVerdict {
	var st stamp
	if e.Discovery != nil {
		st = e.Discovery.TokenlessRejectedAt
	}
	return judgeGate(srv, e, st, TokenlessRejectionTTL, now, nil)
}

// GateC judges registrationNotOfferedAt: blocks for 30 days after the
// authorization server's metadata offered no client registration, unless a
// client id is known from the entry or the configuration.
func (e OAuthEntry) GateC(srv registry.Server, now time.Time) GateVerdict {
	var st stamp
	if e.Discovery != nil {
		st = e.Discovery.RegistrationNotOffered
	}
	return judgeGate(srv, e, st, RegistrationNotOfferedTTL, now, func() string {
		switch {
		case srv.OAuth != nil && (srv.OAuth.ClientID != "" || srv.OAuth.AuthServerMetadataURL != ""):
			return "the configuration sets oauth.clientId or oauth.authServerMetadataUrl, so Claude Code does not apply this gate"
		case e.HasClientID:
			return "the entry has a registered clientId, so Claude Code does not apply this gate"
		case st.Valid && st.Ms < 0:
			return "the stamp is negative, so it never blocks"
		}
		return ""
	})
}

// Inspect implements store.Store: the entries filed under srv's key, judged for
// srv, and entries under srv's name that no current configuration owns.
func (s Store) Inspect(ctx context.Context, env registry.Env, srv registry.Server, now time.Time) ([]store.Record, error) {
	if srv.Client != registry.ClaudeCode {
		return nil, nil
	}
	mine := ownKey(srv) // hashed once per server: it is looked up in each store
	current := s.currentKeys(srv, mine)
	var recs []store.Record
	var errs []error
	path := File(env)
	p := store.Once(s.memo, path, func() parsedStore {
		data, ok, err := store.ReadFile(path)
		if err != nil || !ok {
			return parsedStore{err: err}
		}
		return parseStore(store.Credentials, path, data)
	})
	if p.err != nil {
		errs = append(errs, p.err)
	} else if p.c != nil {
		recs = append(recs, credentialRecords(store.Credentials, path, p, srv, mine, current, now)...)
		recs = append(recs, s.linkRecords(path, srv)...)
	}
	if kc := s.keychain(env); kc != nil {
		it := KeychainItem(env)
		p := store.Once(s.memo, "keychain\x00"+it.String(), func() parsedStore {
			data, found, err := s.findItem(ctx, kc, it)
			if err != nil || !found {
				return parsedStore{err: err}
			}
			return parseStore(store.Keychain, it.String(), data)
		})
		if p.err != nil {
			errs = append(errs, p.err)
		} else if p.c != nil {
			recs = append(recs, credentialRecords(store.Keychain, it.String(), p, srv, mine, current, now)...)
		}
	}
	return recs, errors.Join(errs...)
}

// parsedStore is one credential store as a pass reads it: the parsed
// entries and, for the orphan check, their keys by every name they may be
// filed under. Nothing (c nil, err nil) when the store does not exist.
type parsedStore struct {
	c            *Credentials
	oauthByName  map[string][]string
	clientByName map[string][]string
	err          error
}

func parseStore(storeName, file string, data []byte) parsedStore {
	c, err := Parse(data)
	if err != nil {
		return parsedStore{err: &store.DamagedError{Store: storeName, File: file, Reason: err.Error()}}
	}
	return parsedStore{c: c, oauthByName: keysByName(c.OAuth), clientByName: keysByName(c.ClientConfig)}
}

// keysByName indexes keys under every prefix before a "|": the names whose
// `name|` prefix they carry (a name may itself hold a "|"), each list sorted.
func keysByName[V any](m map[string]V) map[string][]string {
	idx := map[string][]string{}
	for k := range m {
		for i := 0; i < len(k); i++ {
			if k[i] == '|' {
				idx[k[:i]] = append(idx[k[:i]], k)
			}
		}
	}
	for _, ks := range idx {
		sort.Strings(ks)
	}
	return idx
}

func (s Store) findItem(ctx context.Context, kc *keychain.Client, it keychain.Item) ([]byte, bool, error) {
	if s.keychainRead == nil {
		return kc.Find(ctx, it)
	}
	r := s.keychainRead
	r.once.Do(func() { r.data, r.found, r.err = kc.Find(ctx, it) })
	return r.data, r.found, r.err
}

func (s Store) keychain(env registry.Env) *keychain.Client {
	if s.Keychain != nil {
		return s.Keychain
	}
	goos := env.GOOS
	if goos == "" {
		goos = runtime.GOOS
	}
	if goos != "darwin" || env.HomeOverridden || !ownHome(env.Home) {
		return nil // the Keychain holds the running user's items, not another profile's
	}
	return keychain.Platform()
}

// ownHome reports whether home is the running user's own home directory.
func ownHome(home string) bool {
	mine, err := os.UserHomeDir()
	return err == nil && home != "" && filepath.Clean(home) == filepath.Clean(mine)
}

// currentKeys is the set of keys some configuration of srv's name uses.
// mine is ownKey(srv).
func (s Store) currentKeys(srv registry.Server, mine string) map[string]bool {
	keys := map[string]bool{}
	if mine != "" {
		keys[mine] = true
	}
	if s.memo != nil {
		for k := range s.configuredKeys()[srv.Name] {
			keys[k] = true
		}
		return keys
	}
	for _, o := range s.Configured {
		if o.Client == registry.ClaudeCode && o.Name == srv.Name && store.GatedTransport(o) {
			keys[Key(o)] = true
		}
	}
	return keys
}

// configuredKeys is every configured Claude Code server's key, by name,
// hashed once per pass: the same name in thousands of projects must not
// cost thousands of hashes per server.
func (s Store) configuredKeys() map[string]map[string]bool {
	return store.Once(s.memo, "\x00configured", func() map[string]map[string]bool {
		byName := map[string]map[string]bool{}
		hashed := map[string]string{} // KeyJSON inputs → Key: one hash per distinct server
		var buf []byte
		for _, o := range s.Configured {
			if o.Client != registry.ClaudeCode || !store.GatedTransport(o) {
				continue
			}
			buf = appendKeyInputs(buf[:0], &o)
			k, ok := hashed[string(buf)]
			if !ok {
				k = Key(o)
				hashed[string(buf)] = k
			}
			if byName[o.Name] == nil {
				byName[o.Name] = map[string]bool{}
			}
			byName[o.Name][k] = true
		}
		return byName
	})
}

// appendKeyInputs appends everything Key reads of srv (its name and what
// KeyJSON encodes), each value length-prefixed: equal inputs, equal keys.
func appendKeyInputs(b []byte, srv *registry.Server) []byte {
	put := func(v string) {
		b = strconv.AppendInt(b, int64(len(v)), 10)
		b = append(b, ':')
		b = append(b, v...)
	}
	put(srv.Name)
	put(claudeType(*srv))
	put(srv.Raw.URL.Reveal())
	for _, h := range srv.Raw.Headers {
		put(h.Name)
		put(h.Value.Reveal())
	}
	return b
}

// ownKey is srv's own key, "" when its transport is not one Claude Code
// keeps credentials for.
func ownKey(srv registry.Server) string {
	if store.GatedTransport(srv) {
		return Key(srv)
	}
	return ""
}

// credentialRecords turns one parsed store into records for srv, whose
// own key is mine (ownKey).
func credentialRecords(storeName, file string, p parsedStore, srv registry.Server, mine string, current map[string]bool, now time.Time) []store.Record {
	c := p.c
	var recs []store.Record
	rec := func(key, kind string) store.Record {
		return store.Record{Store: storeName, File: file, Key: key, Kind: kind, Resettable: true}
	}
	if e, ok := c.OAuth[mine]; ok && mine != "" {
		own := entryRecords(rec, e, srv, now)
		facts := &ccversion.Memory{OAuth: e.facts()}
		for i := range own {
			own[i].Facts = facts
		}
		recs = append(recs, own...)
	}
	if cc, ok := c.ClientConfig[mine]; ok && mine != "" {
		r := rec(mine, KindClientConfig)
		r.Detail = "mcpOAuthClientConfig entry" + map[bool]string{true: " holding a client secret", false: " without a client secret"}[cc.HasClientSecret] + " (kept by a reset unless tokens are forgotten)"
		recs = append(recs, r)
	}
	for _, k := range p.oauthByName[srv.Name] {
		if !current[k] {
			e := c.OAuth[k]
			r := rec(k, KindOrphanedOAuth)
			r.Detail = "mcpOAuth entry for an earlier configuration of " + srv.Name + " (url " + registry.RedactURL(e.ServerURL) +
				"): no current url/headers/type hashes to this key, so Claude Code never reads it; it holds " + holds(e)
			recs = append(recs, r)
		}
	}
	for _, k := range p.clientByName[srv.Name] {
		if !current[k] {
			r := rec(k, KindOrphanedClientConfig)
			r.Detail = "mcpOAuthClientConfig entry for an earlier configuration of " + srv.Name + ": no current configuration uses this key"
			recs = append(recs, r)
		}
	}
	return recs
}

// entryRecords describes srv's own mcpOAuth entry: its tokens and gate stamps.
func entryRecords(rec func(key, kind string) store.Record, e OAuthEntry, srv registry.Server, now time.Time) []store.Record {
	if e.Problem != "" {
		r := rec(e.Key, KindOAuthDiscovery)
		r.Detail = "malformed mcpOAuth entry (" + e.Problem + ")"
		return []store.Record{r}
	}
	var recs []store.Record
	if e.HasAccessToken || e.HasRefreshToken {
		r := rec(e.Key, KindTokens)
		r.Active, r.Detail = tokenState(e, now)
		if e.HasExpiresAt {
			r.Until = nodejson.PtrTime(nodejson.MsTime(e.ExpiresAtMs))
		}
		recs = append(recs, r)
	}
	if e.Discovery != nil && e.Discovery.TokenlessRejectedAt.Present {
		g := e.GateB(srv, now)
		r := rec(e.Key, store.KindTokenlessRejection)
		r.Active, r.Since, r.Until, r.Detail = g.Active, g.Since, g.Until, "gate B (tokenlessRejectedAt, 7 days): "+g.Why
		recs = append(recs, r)
	}
	if e.Discovery != nil && e.Discovery.RegistrationNotOffered.Present {
		g := e.GateC(srv, now)
		r := rec(e.Key, store.KindRegistrationNotOffered)
		r.Active, r.Since, r.Until, r.Detail = g.Active, g.Since, g.Until, "gate C (registrationNotOfferedAt, 30 days): "+g.Why
		recs = append(recs, r)
	}
	if len(recs) == 0 {
		r := rec(e.Key, KindOAuthDiscovery)
		r.Detail = "tokenless mcpOAuth entry (" + holds(e) + "); it blocks nothing by itself"
		recs = append(recs, r)
	}
	return recs
}

// tokenState says whether stored tokens are usable and describes them
// without their values.
func tokenState(e OAuthEntry, now time.Time) (usable bool, detail string) {
	var parts []string
	expired := e.HasExpiresAt && nodejson.MsTime(e.ExpiresAtMs).Before(now)
	switch {
	case e.HasAccessToken && e.HasExpiresAt && expired:
		parts = append(parts, "access token expired at "+nodejson.MsTime(e.ExpiresAtMs).UTC().Format(time.RFC3339))
	case e.HasAccessToken && e.HasExpiresAt:
		parts = append(parts, "access token valid until "+nodejson.MsTime(e.ExpiresAtMs).UTC().Format(time.RFC3339))
	case e.HasAccessToken:
		parts = append(parts, "access token without expiry")
	}
	if e.HasRefreshToken {
		parts = append(parts, "refresh token present")
	}
	usable = e.HasRefreshToken || (e.HasAccessToken && !expired)
	if !usable {
		parts = append(parts, "no refresh token: the next dial needs a new sign-in")
	}
	return usable, strings.Join(parts, "; ")
}

// holds summarises an entry's contents without values.
func holds(e OAuthEntry) string {
	var parts []string
	if e.HasAccessToken {
		parts = append(parts, "an access token")
	}
	if e.HasRefreshToken {
		parts = append(parts, "a refresh token")
	}
	if e.HasClientID {
		parts = append(parts, "a client id")
	}
	if e.Discovery != nil {
		if e.Discovery.TokenlessRejectedAt.Present {
			parts = append(parts, "a tokenlessRejectedAt stamp")
		}
		if e.Discovery.RegistrationNotOffered.Present {
			parts = append(parts, "a registrationNotOfferedAt stamp")
		}
		if len(parts) == 0 {
			parts = append(parts, "discovery state only")
		}
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ForInspection is the store for one inspection pass over several servers:
// the Keychain item is read once for all of them.
func ForInspection(configured []registry.Server) Store {
	return Store{Configured: configured, keychainRead: &onceRead{}, memo: store.NewMemo()}
}

// linkRecords reports a .credentials.json that is a symlink or has other
// hard links, for servers whose sign-in lives in it: Claude Code splits the
// link on its next write, and a reset refuses to write it (see LinkNote).
func (s Store) linkRecords(path string, srv registry.Server) []store.Record {
	if !store.GatedTransport(srv) {
		return nil
	}
	type checked struct{ err error } // a memo value is never a nil interface
	c := store.Once(s.memo, "links\x00"+path, func() checked { return checked{lockedfile.CheckLinks(path, lockedfile.RefuseLinks)} })
	var le *lockedfile.LinkError
	if !errors.As(c.err, &le) {
		return nil
	}
	what := "is a symlink to " + le.Target
	if le.NLink > 1 {
		what = fmt.Sprintf("has %d hard links", le.NLink)
	}
	return []store.Record{{Store: store.Credentials, File: path, Key: filepath.Base(path), Kind: KindLinkedFile,
		Detail: path + " " + what + ": " + LinkNote + "; mcpmend will not reset through it"}}
}
