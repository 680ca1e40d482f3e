package needsauth

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"time"

	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/internal/ccversion"
	"github.com/mcpmend/mcpmend/internal/nodejson"
	"github.com/mcpmend/mcpmend/registry"
)

// Lifetimes of Claude Code's needs-auth entries when they carry no ttlMs.
const (
	DefaultTTL = 15 * time.Minute
	LongTTL    = 4 * time.Hour // claude.ai connectors; plugin http/sse servers without headers
)

// Store is gate A: Claude Code's needs-auth cache,
// <config home>/mcp-needs-auth-cache.json, keyed by plain server name.
type Store struct {
	// memo, set by ForInspection, keeps the parsed cache for one pass.
	memo *store.Memo
}

// ForInspection is the store for one inspection pass over several servers:
// the cache file is read and indexed by name once for all of them.
func ForInspection() Store { return Store{memo: store.NewMemo()} }

// Name implements store.Store.
func (Store) Name() string { return store.NeedsAuth }

// File is the cache's path for env.
func File(env registry.Env) string {
	return filepath.Join(env.ClaudeConfigHome(), "mcp-needs-auth-cache.json")
}

// Entry is one entry of the cache as written: {"timestamp": ms,
// "ttlMs"?: n, "id"?: s}. Fields Claude Code would not accept are recorded
// in Problem rather than failing the whole file.
type Entry struct {
	Name        string
	TimestampMs float64
	TTLms       float64 // 0 when absent
	HasTTL      bool
	ID          string
	HasID       bool
	Problem     string // why Claude Code would ignore this entry, "" when well formed
}

// Parse parses the cache file. An error means the file is damaged
// and says why; individual odd entries are returned with a Problem.
func Parse(data []byte) ([]Entry, error) {
	top, err := nodejson.ParseObject(data)
	if err != nil {
		return nil, err
	}
	out := make([]Entry, 0, len(top))
	for name, raw := range top {
		out = append(out, parseNeedsAuthEntry(name, raw))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func parseNeedsAuthEntry(name string, raw json.RawMessage) Entry {
	e := Entry{Name: name}
	obj := nodejson.Field{Raw: raw}.Object()
	if obj == nil {
		e.Problem = "entry is not an object"
		return e
	}
	ts, ok := nodejson.Get(obj, "timestamp").Number()
	if !ok {
		e.Problem = "timestamp is missing or not a number"
	}
	e.TimestampMs = ts
	if f := nodejson.Get(obj, "ttlMs"); f.Present() {
		if e.TTLms, e.HasTTL = f.Number(); !e.HasTTL && e.Problem == "" {
			e.Problem = "ttlMs is not a number"
		}
	}
	e.ID, e.HasID = nodejson.Get(obj, "id").Str()
	return e
}

// TTL is how long the entry blocks srv: its ttlMs, else Claude Code's default
// for that kind of server, and where the value came from.
func (e Entry) TTL(srv registry.Server) (time.Duration, string) {
	if e.HasTTL {
		return time.Duration(e.TTLms * float64(time.Millisecond)), "ttlMs"
	}
	if srv.Scope == store.ScopeClaudeAI || srv.Scope == store.ScopePlugin && srv.Remote() && !store.HasHeaders(srv) {
		return LongTTL, "default for " + srv.Scope + " servers"
	}
	return DefaultTTL, "default"
}

// Judge decides whether the entry keeps srv from being dialled at now, when
// it stops, and why, following Claude Code's own check.
func (e Entry) Judge(srv registry.Server, now time.Time) (active bool, until *time.Time, why string) {
	if e.Problem != "" {
		return false, nil, "malformed entry (" + e.Problem + "): Claude Code ignores it"
	}
	ttl, src := e.TTL(srv)
	written := nodejson.MsTime(e.TimestampMs)
	lapse := written.Add(ttl)
	until = nodejson.PtrTime(lapse)
	switch {
	case !store.GatedTransport(srv):
		return false, until, fmt.Sprintf("%s servers are never gated: the entry has no effect", srv.Transport)
	case srv.Scope == store.ScopePlugin && e.HasID:
		return false, until, "the entry carries an id, which Claude Code ignores for plugin http/sse servers"
	}
	if nodejson.Within(e.TimestampMs, ttl, now, false) {
		return true, until, fmt.Sprintf("Claude Code skips the server without dialling (TTL %s, %s) until %s", ttl, src, lapse.UTC().Format(time.RFC3339))
	}
	if now.Sub(written) <= -nodejson.ClockSkew {
		return false, until, "the timestamp lies more than 60 s in the future: Claude Code ignores the entry until the clock catches up"
	}
	return false, until, fmt.Sprintf("expired at %s (TTL %s, %s): no longer blocks", lapse.UTC().Format(time.RFC3339), ttl, src)
}

// parsed is the cache file as one pass reads it: its entries by name.
type parsed struct {
	byName map[string]Entry
	err    error
}

// load reads and indexes the cache file, once per pass when memoized.
func (s Store) load(path string) parsed {
	return store.Once(s.memo, path, func() parsed {
		data, ok, err := store.ReadFile(path)
		if err != nil || !ok {
			return parsed{err: err}
		}
		entries, err := Parse(data)
		if err != nil {
			return parsed{err: &store.DamagedError{Store: store.NeedsAuth, File: path, Reason: err.Error()}}
		}
		p := parsed{byName: make(map[string]Entry, len(entries))}
		for _, e := range entries {
			p.byName[e.Name] = e
		}
		return p
	})
}

// Inspect implements store.Store: the cache entry filed under srv's name, judged for srv.
func (s Store) Inspect(_ context.Context, env registry.Env, srv registry.Server, now time.Time) ([]store.Record, error) {
	if srv.Client != registry.ClaudeCode {
		return nil, nil
	}
	path := File(env)
	p := s.load(path)
	if p.err != nil {
		return nil, p.err
	}
	e, ok := p.byName[srv.Name]
	if !ok {
		return nil, nil
	}
	active, until, why := e.Judge(srv, now)
	r := store.Record{Store: store.NeedsAuth, File: path, Key: e.Name, Kind: store.KindNeedsAuth, Active: active,
		Until: until, Detail: "needs-auth cache entry: " + why, Resettable: true}
	if e.Problem == "" {
		r.Since = nodejson.PtrTime(nodejson.MsTime(e.TimestampMs))
	}
	r.Facts = &ccversion.Memory{GateA: &ccversion.GateAEntry{Timestamp: nodejson.MsTime(e.TimestampMs),
		TTL: time.Duration(e.TTLms * float64(time.Millisecond)), HasTTL: e.HasTTL, HasID: e.HasID, Malformed: e.Problem != ""}}
	return []store.Record{r}, nil
}
