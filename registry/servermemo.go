package registry

import "slices"

// serverMemo remembers the servers built from entries already seen in one
// discovery: heavy users define the same servers (github, a company
// gateway) in thousands of projects, and building one — reading the entry,
// expanding ${VAR}, redacting args and URL — was a fifth of `list` on such
// a file. A server depends only on its entry, name and source kind (scope,
// expansion, managed) and on the environment, which is fixed for a
// discovery; where it was found (project, file, path) is set on each copy.
// Not safe for concurrent use: each discovery worker keeps its own.
type serverMemo map[serverMemoKey]*ccServer

type serverMemoKey struct {
	scope, name, entry string
	expand, managed    bool
}

// build returns claudeServer(src, name, e, env), from the memo when an
// identical entry was built before (m nil: always built).
func (m serverMemo) build(src ccSource, name string, raw string, build func() *ccServer) *ccServer {
	if m == nil {
		return build()
	}
	k := serverMemoKey{scope: src.scope, name: name, entry: raw, expand: src.expand, managed: src.managed}
	t, ok := m[k]
	if !ok {
		t = build()
		m[k] = t
		t = &ccServer{Server: t.Server.clone(), skipped: t.skipped} // the memo keeps its own copy
		return t
	}
	s := t.Server.clone()
	s.Project, s.File, s.Path = src.project, src.file, src.prefix+escape(name)
	return &ccServer{Server: s, skipped: t.skipped}
}

// clone is a deep copy of s: nothing a later step changes in one copy
// (problems appended, args rewritten) shows in another.
// TestServerCloneIsDeep checks every field that refers to shared memory.
func (s *Server) clone() *Server {
	c := *s
	c.Args = slices.Clone(s.Args)
	c.EnvNames = slices.Clone(s.EnvNames)
	c.HeaderNames = slices.Clone(s.HeaderNames)
	c.Problems = slices.Clone(s.Problems)
	if s.OAuth != nil {
		o := *s.OAuth
		o.Scopes = slices.Clone(s.OAuth.Scopes)
		c.OAuth = &o
	}
	c.Raw.Args = slices.Clone(s.Raw.Args)
	c.Raw.Env = slices.Clone(s.Raw.Env)
	c.Raw.Headers = slices.Clone(s.Raw.Headers)
	return &c
}
