package cache

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"time"

	"github.com/mcpmend/mcpmend/internal/ccversion"
	"github.com/mcpmend/mcpmend/registry"
)

// Store names, as they appear in records.
const (
	StoreNeedsAuth   = "claude-code/needs-auth"
	StoreCredentials = "claude-code/credentials"
	StoreKeychain    = "claude-code/keychain"
	StoreMCPRemote   = "mcp-remote"
	StoreMCPLogs     = "claude-code/mcp-logs"
)

// Record kinds that make Claude Code skip a server: the three gates.
const (
	KindNeedsAuth              = "needs-auth"               // gate A
	KindTokenlessRejection     = "tokenless-rejection"      // gate B
	KindRegistrationNotOffered = "registration-not-offered" // gate C
)

// Gate names each blocking kind the way the facts doc and users talk about it.
func Gate(kind string) string {
	switch kind {
	case KindNeedsAuth:
		return "A"
	case KindTokenlessRejection:
		return "B"
	case KindRegistrationNotOffered:
		return "C"
	}
	return ""
}

// Lifetimes of Claude Code's needs-auth entries when they carry no ttlMs.
const (
	NeedsAuthTTL     = 15 * time.Minute
	NeedsAuthLongTTL = 4 * time.Hour // claude.ai connectors; plugin http/sse servers without headers
)

// Scopes under which Claude Code lists servers it did not read from a
// config file; the 4 h TTL and the id checks apply to them.
const (
	ScopePlugin   = "plugin"
	ScopeClaudeAI = "claudeai"
)

// NeedsAuthStore is gate A: Claude Code's needs-auth cache,
// <config home>/mcp-needs-auth-cache.json, keyed by plain server name.
type NeedsAuthStore struct{}

// Name implements Store.
func (NeedsAuthStore) Name() string { return StoreNeedsAuth }

// NeedsAuthFile is the cache's path for env.
func NeedsAuthFile(env registry.Env) string {
	return filepath.Join(env.ClaudeConfigHome(), "mcp-needs-auth-cache.json")
}

// NeedsAuthEntry is one entry of the cache as written: {"timestamp": ms,
// "ttlMs"?: n, "id"?: s}. Fields Claude Code would not accept are recorded
// in Problem rather than failing the whole file.
type NeedsAuthEntry struct {
	Name        string
	TimestampMs float64
	TTLms       float64 // 0 when absent
	HasTTL      bool
	ID          string
	HasID       bool
	Problem     string // why Claude Code would ignore this entry, "" when well formed
}

// ParseNeedsAuth parses the cache file. An error means the file is damaged
// and says why; individual odd entries are returned with a Problem.
func ParseNeedsAuth(data []byte) ([]NeedsAuthEntry, error) {
	top, err := parseObject(data)
	if err != nil {
		return nil, err
	}
	out := make([]NeedsAuthEntry, 0, len(top))
	for name, raw := range top {
		out = append(out, parseNeedsAuthEntry(name, raw))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func parseNeedsAuthEntry(name string, raw json.RawMessage) NeedsAuthEntry {
	e := NeedsAuthEntry{Name: name}
	obj := field{raw: raw}.object()
	if obj == nil {
		e.Problem = "entry is not an object"
		return e
	}
	ts, ok := get(obj, "timestamp").number()
	if !ok {
		e.Problem = "timestamp is missing or not a number"
	}
	e.TimestampMs = ts
	if f := get(obj, "ttlMs"); f.present() {
		if e.TTLms, e.HasTTL = f.number(); !e.HasTTL && e.Problem == "" {
			e.Problem = "ttlMs is not a number"
		}
	}
	e.ID, e.HasID = get(obj, "id").str()
	return e
}

// TTL is how long the entry blocks srv: its ttlMs, else Claude Code's default
// for that kind of server, and where the value came from.
func (e NeedsAuthEntry) TTL(srv registry.Server) (time.Duration, string) {
	if e.HasTTL {
		return time.Duration(e.TTLms * float64(time.Millisecond)), "ttlMs"
	}
	if srv.Scope == ScopeClaudeAI || srv.Scope == ScopePlugin && srv.Remote() && !hasHeaders(srv) {
		return NeedsAuthLongTTL, "default for " + srv.Scope + " servers"
	}
	return NeedsAuthTTL, "default"
}

// hasHeaders is Claude Code's "configured with headers" test: a non-empty
// headers object or a headersHelper.
func hasHeaders(srv registry.Server) bool {
	return len(srv.Raw.Headers) > 0 || srv.Raw.HeadersHelper != ""
}

// gatedTransport reports whether Claude Code consults its gates before
// dialling srv: http and sse servers; stdio and ws servers never wait.
func gatedTransport(srv registry.Server) bool {
	return srv.Transport == registry.HTTP || srv.Transport == registry.SSE
}

// Judge decides whether the entry keeps srv from being dialled at now, when
// it stops, and why, following Claude Code's own check.
func (e NeedsAuthEntry) Judge(srv registry.Server, now time.Time) (active bool, until *time.Time, why string) {
	if e.Problem != "" {
		return false, nil, "malformed entry (" + e.Problem + "): Claude Code ignores it"
	}
	ttl, src := e.TTL(srv)
	written := msTime(e.TimestampMs)
	lapse := written.Add(ttl)
	until = ptrTime(lapse)
	switch {
	case !gatedTransport(srv):
		return false, until, fmt.Sprintf("%s servers are never gated: the entry has no effect", srv.Transport)
	case srv.Scope == ScopePlugin && e.HasID:
		return false, until, "the entry carries an id, which Claude Code ignores for plugin http/sse servers"
	}
	if within(e.TimestampMs, ttl, now, false) {
		return true, until, fmt.Sprintf("Claude Code skips the server without dialling (TTL %s, %s) until %s", ttl, src, lapse.UTC().Format(time.RFC3339))
	}
	if now.Sub(written) <= -clockSkew {
		return false, until, "the timestamp lies more than 60 s in the future: Claude Code ignores the entry until the clock catches up"
	}
	return false, until, fmt.Sprintf("expired at %s (TTL %s, %s): no longer blocks", lapse.UTC().Format(time.RFC3339), ttl, src)
}

// Inspect implements Store: the cache entry filed under srv's name, judged for srv.
func (s NeedsAuthStore) Inspect(_ context.Context, env registry.Env, srv registry.Server, now time.Time) ([]Record, error) {
	if srv.Client != registry.ClaudeCode {
		return nil, nil
	}
	path := NeedsAuthFile(env)
	data, ok, err := readStoreFile(path)
	if err != nil || !ok {
		return nil, err
	}
	entries, err := ParseNeedsAuth(data)
	if err != nil {
		return nil, &DamagedError{Store: StoreNeedsAuth, File: path, Reason: err.Error()}
	}
	for _, e := range entries {
		if e.Name != srv.Name {
			continue
		}
		active, until, why := e.Judge(srv, now)
		r := Record{Store: StoreNeedsAuth, File: path, Key: e.Name, Kind: KindNeedsAuth, Active: active,
			Until: until, Detail: "gate A: " + why, Resettable: true}
		if e.Problem == "" {
			r.Since = ptrTime(msTime(e.TimestampMs))
		}
		r.Facts = &ccversion.Memory{GateA: &ccversion.GateAEntry{Timestamp: msTime(e.TimestampMs),
			TTL: time.Duration(e.TTLms * float64(time.Millisecond)), HasTTL: e.HasTTL, HasID: e.HasID, Malformed: e.Problem != ""}}
		return []Record{r}, nil
	}
	return nil, nil
}
