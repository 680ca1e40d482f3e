package jsonout

import (
	"slices"
	"time"

	"github.com/mcpmend/mcpmend/cache"
	"github.com/mcpmend/mcpmend/registry"
)

// The encoders below follow the types' json tags field by field, in
// declaration order; omitempty leaves out "", 0, false, nil pointers and
// empty slices and maps. TestEveryField fails when a type gains a field
// that is not written here.

// Server writes s as encoding/json does (its Raw configuration is never
// encoded: json:"-").
func (w *Writer) Server(s *registry.Server) {
	w.BeginObject()
	w.Key("name")
	w.String(s.Name)
	w.Key("client")
	w.String(s.Client)
	w.Key("scope")
	w.String(s.Scope)
	w.optString("project", s.Project)
	w.optString("file", s.File)
	w.optString("path", s.Path)
	w.optString("transport", string(s.Transport))
	w.optString("command", s.Command)
	w.optStrings("args", s.Args)
	w.optString("cwd", s.Cwd)
	w.optStrings("env", s.EnvNames)
	w.optString("url", s.URL)
	w.optStrings("headers", s.HeaderNames)
	w.optTrue("headers_helper", s.HeadersHelper)
	if s.OAuth != nil {
		w.Key("oauth")
		w.OAuth(s.OAuth)
	}
	w.optTrue("disabled", s.Disabled)
	w.optString("approval", s.Approval)
	w.optTrue("untrusted", s.Untrusted)
	w.optString("trust_hint", s.TrustHint)
	w.optString("work_dir", s.WorkDir)
	w.optString("work_dir_note", s.WorkDirNote)
	w.optTrue("effective", s.Effective)
	w.optString("shadowed_by", s.ShadowedBy)
	w.optStrings("problems", s.Problems)
	w.EndObject()
}

// OAuth writes o as encoding/json does.
func (w *Writer) OAuth(o *registry.OAuth) {
	w.BeginObject()
	w.optString("client_id", o.ClientID)
	w.optInt("callback_port", o.CallbackPort)
	w.optString("auth_server_metadata_url", o.AuthServerMetadataURL)
	w.optStrings("scopes", o.Scopes)
	w.EndObject()
}

// Problem writes p as encoding/json does.
func (w *Writer) Problem(p *registry.Problem) {
	w.BeginObject()
	w.Key("client")
	w.String(p.Client)
	w.Key("file")
	w.String(p.File)
	w.optInt("line", p.Line)
	w.optInt("column", p.Column)
	w.optString("server", p.Server)
	w.Key("message")
	w.String(p.Message)
	w.EndObject()
}

// Location writes where a client's configuration was looked for as
// encoding/json does.
func (w *Writer) Location(l *registry.Location) {
	w.BeginObject()
	w.Key("client")
	w.String(l.Client)
	w.Key("scope")
	w.String(l.Scope)
	w.Key("path")
	w.String(l.Path)
	w.Key("exists")
	w.Bool(l.Exists)
	w.EndObject()
}

// Summary writes s as encoding/json does; an Until that RFC 3339 cannot
// hold is recorded as the Writer's error.
func (w *Writer) Summary(s *cache.Summary) {
	w.BeginObject()
	w.optString("session", s.Session)
	w.optStrings("gates", s.Gates)
	w.optTime("until", s.Until)
	w.optString("tokens", s.Tokens)
	if len(s.Records) > 0 {
		w.Key("records")
		w.counts(s.Records)
	}
	w.optStrings("damaged", s.Damaged)
	w.EndObject()
}

// States writes a map of summaries as encoding/json does: keys sorted.
func (w *Writer) States(m map[string]cache.Summary) {
	if m == nil {
		w.Null()
		return
	}
	w.BeginObject()
	w.stateMembers(m, sortedKeys(m))
	w.EndObject()
}

// sortedKeys returns m's keys in encoding/json's order (byte-wise).
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// stateMembers writes the members of a states object named by keys.
func (w *Writer) stateMembers(m map[string]cache.Summary, keys []string) {
	for _, k := range keys {
		w.StringKey(k)
		s := m[k]
		w.Summary(&s)
	}
}

// counts writes a map of counts, keys sorted; the keys are sorted on the
// stack for the few stores a summary counts.
func (w *Writer) counts(m map[string]int) {
	var arr [8]string
	keys := arr[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	w.BeginObject()
	for _, k := range keys {
		w.StringKey(k)
		w.Int(m[k])
	}
	w.EndObject()
}

func (w *Writer) optString(k, v string) {
	if v != "" {
		w.Key(k)
		w.String(v)
	}
}

func (w *Writer) optStrings(k string, v []string) {
	if len(v) > 0 {
		w.Key(k)
		w.Strings(v)
	}
}

func (w *Writer) optInt(k string, v int) {
	if v != 0 {
		w.Key(k)
		w.Int(v)
	}
}

func (w *Writer) optTrue(k string, v bool) {
	if v {
		w.Key(k)
		w.Bool(true)
	}
}

func (w *Writer) optTime(k string, t *time.Time) {
	if t != nil {
		w.Key(k)
		w.Time(*t)
	}
}
