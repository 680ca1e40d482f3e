package cache

import (
	"context"
	"slices"
	"strconv"

	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/internal/parallel"
	"github.com/mcpmend/mcpmend/registry"
)

// Summaries returns the Summary of each server, in order.
//
// Servers that differ only in where they are written share one
// inspection. A heavy user's ~/.claude.json repeats the same few servers
// (github, a company gateway) in thousands of projects, and no store judges
// a server by where it is written: a needs-auth entry is filed under the
// name, a credentials entry under the name and the configuration, a
// session's verdict by precedence, never by the project, file, path or
// folder it starts in (TestStoresIgnoreWhereAServerIsWritten holds every
// store to this). The one exception is the MCP logs store, whose lines are
// filed by project folder: an Inspector that reads it inspects every
// server on its own.
//
// Summaries of servers that share an inspection share its maps and slices:
// treat them as read-only.
func (in *Inspector) Summaries(ctx context.Context, servers []registry.Server) []Summary {
	out := make([]Summary, len(servers))
	if !in.sharable() {
		parallel.For(len(servers), func(i int) { out[i] = in.Inspect(ctx, servers[i]).Summary() })
		return out
	}
	first := make(map[string]int, 16) // state key → index of the first server with it
	rep := make([]int, len(servers))  // server → the index whose inspection it takes
	var todo []int
	var buf []byte
	for i := range servers {
		buf = appendStateKey(buf[:0], &servers[i])
		j, ok := first[string(buf)] // no copy made for a lookup
		if !ok {
			j = i
			first[string(buf)] = i
			todo = append(todo, i)
		}
		rep[i] = j
	}
	parallel.For(len(todo), func(t int) { i := todo[t]; out[i] = in.Inspect(ctx, servers[i]).Summary() })
	for i, j := range rep {
		out[i] = out[j]
	}
	return out
}

// sharable reports whether every store of in judges a server without
// looking at where it is written (see Summaries).
func (in *Inspector) sharable() bool {
	return !slices.ContainsFunc(in.Stores, func(s store.Store) bool { return s.Name() == store.MCPLogs })
}

// appendStateKey appends what an inspection of s depends on to b: every field of s except those that say where it is written
// (Project, File, Path, WorkDir, WorkDirNote, TrustHint) and its Problems.
// Each value is length-prefixed, so no two servers write the same key.
// TestStateKeyCoversEveryField fails when registry.Server gains a field
// this does not place on either side.
func appendStateKey(b []byte, s *registry.Server) []byte {
	put := func(v string) {
		b = strconv.AppendInt(b, int64(len(v)), 10)
		b = append(b, ':')
		b = append(b, v...)
	}
	flag := func(v bool) {
		if v {
			b = append(b, '1')
		} else {
			b = append(b, '0')
		}
	}
	put(s.Client)
	put(s.Scope)
	put(s.Name)
	put(string(s.Transport))
	put(s.Command)
	putAll(put, s.Args)
	put(s.Cwd)
	putAll(put, s.EnvNames)
	put(s.URL)
	putAll(put, s.HeaderNames)
	flag(s.HeadersHelper)
	if o := s.OAuth; o != nil {
		b = append(b, 'o')
		put(o.ClientID)
		put(strconv.Itoa(o.CallbackPort))
		put(o.AuthServerMetadataURL)
		putAll(put, o.Scopes)
	}
	flag(s.Disabled)
	put(s.Approval)
	flag(s.Untrusted)
	flag(s.Effective)
	put(s.ShadowedBy)
	r := &s.Raw
	put(r.Type)
	put(string(r.Command))
	put(string(r.URL))
	b = strconv.AppendInt(b, int64(len(r.Args)), 10)
	for _, a := range r.Args {
		put(string(a))
	}
	b = strconv.AppendInt(b, int64(len(r.Env)), 10)
	for _, e := range r.Env {
		put(e.Name)
		put(string(e.Value))
	}
	b = strconv.AppendInt(b, int64(len(r.Headers)), 10)
	for _, h := range r.Headers {
		put(h.Name)
		put(string(h.Value))
	}
	put(string(r.HeadersHelper))
	put(r.Entry)
	return b
}

func putAll(put func(string), vs []string) {
	put(strconv.Itoa(len(vs)))
	for _, v := range vs {
		put(v)
	}
}
