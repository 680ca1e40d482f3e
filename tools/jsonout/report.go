package jsonout

import (
	"bytes"
	"encoding/json"
	"slices"

	"github.com/mcpmend/mcpmend/cache"
	"github.com/mcpmend/mcpmend/tools/diagnose"
)

// Report writes one server's checkup report as encoding/json does.
func (w *Writer) Report(r *diagnose.Report) {
	w.BeginObject()
	w.Key("server")
	w.Server(&r.Server)
	w.Key("status")
	w.String(r.Status)
	w.Key("verdict")
	w.String(r.Verdict)
	w.Key("findings")
	if r.Findings == nil {
		w.Null()
	} else {
		w.BeginArray()
		for i := range r.Findings {
			w.Elem()
			w.BeginObject()
			w.findingMembers(&r.Findings[i])
			w.EndObject()
		}
		w.EndArray()
	}
	if r.Probe != nil {
		w.Key("probe")
		w.probe(r.Probe)
	}
	w.optString("not_probed", r.NotProbed)
	if r.Session != nil {
		w.Key("session")
		w.Session(r.Session)
	}
	if r.State != nil {
		w.Key("state")
		w.Summary(r.State)
	}
	w.EndObject()
}

func (w *Writer) probe(p *diagnose.ProbeSummary) {
	w.BeginObject()
	w.Key("verdict")
	w.String(string(p.Verdict))
	w.optString("summary", p.Summary)
	w.optString("phase", p.Phase)
	w.Key("duration_ms")
	w.Float(p.DurationMS)
	if i := p.Server; i != nil {
		w.Key("server")
		w.BeginObject()
		w.Key("name")
		w.String(i.Name)
		w.optString("version", i.Version)
		w.Key("protocol_version")
		w.String(i.ProtocolVersion)
		w.Key("capabilities")
		w.Strings(i.Capabilities)
		w.Key("tool_count")
		w.Int(i.ToolCount)
		w.optStrings("tools", i.Tools)
		w.Key("handshake")
		w.String(i.Handshake)
		w.EndObject()
	}
	w.optStrings("notes", p.Notes)
	w.EndObject()
}

// FileFinding writes a finding about a whole configuration file as
// encoding/json does (its Finding's members inline).
func (w *Writer) FileFinding(f *diagnose.FileFinding) {
	w.BeginObject()
	w.Key("client")
	w.String(f.Client)
	w.Key("file")
	w.String(f.File)
	w.findingMembers(&f.Finding)
	w.EndObject()
}

func (w *Writer) findingMembers(f *diagnose.Finding) {
	w.Key("severity")
	w.String(string(f.Severity))
	w.Key("code")
	w.String(f.Code)
	w.Key("summary")
	w.String(f.Summary)
	w.optStrings("evidence", f.Evidence)
	if a := f.Next; a != nil {
		w.Key("next")
		w.BeginObject()
		w.Key("step")
		w.String(a.Step)
		w.optString("tool", a.Tool)
		if len(a.Arguments) > 0 {
			w.Key("arguments")
			w.arguments(a.Arguments)
		}
		w.optString("command", a.Command)
		w.EndObject()
	}
}

// Session writes what Claude Code's next session does with a server as
// encoding/json does.
func (w *Writer) Session(s *cache.Session) {
	w.BeginObject()
	w.Key("action")
	w.String(s.Action)
	if len(s.Gates) > 0 {
		w.Key("gates")
		w.BeginArray()
		for i := range s.Gates {
			w.Elem()
			w.activeGate(&s.Gates[i])
		}
		w.EndArray()
	}
	w.optTime("until", s.Until)
	w.Key("reason")
	w.String(s.Reason)
	if len(s.Clients) > 0 {
		w.Key("clients")
		w.BeginArray()
		for i := range s.Clients {
			w.Elem()
			w.clientVerdict(&s.Clients[i])
		}
		w.EndArray()
	}
	w.EndObject()
}

func (w *Writer) activeGate(g *cache.ActiveGate) {
	w.BeginObject()
	w.Key("gate")
	w.String(g.Gate)
	w.Key("kind")
	w.String(g.Kind)
	w.Key("store")
	w.String(g.Store)
	w.Key("file")
	w.String(g.File)
	w.Key("key")
	w.String(g.Key)
	w.optTime("since", g.Since)
	w.optTime("until", g.Until)
	w.EndObject()
}

func (w *Writer) clientVerdict(v *cache.ClientVerdict) {
	w.BeginObject()
	w.Key("who")
	w.String(v.Who)
	w.Key("runner")
	w.String(v.Runner)
	w.optString("version", v.Version)
	w.Key("action")
	w.String(v.Action)
	w.optStrings("gates", v.Gates)
	w.optTime("until", v.Until)
	w.optTrue("no_time_limit", v.NoTimeLimit)
	w.optString("after_401", v.After401)
	w.optString("assumed", v.Assumed)
	w.EndObject()
}

// arguments writes a tool call's arguments, keys sorted as encoding/json
// sorts a map's: strings, flags and whole numbers here (what findings
// suggest), anything else through Any.
func (w *Writer) arguments(m map[string]any) {
	var arr [8]string
	keys := arr[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	w.BeginObject()
	for _, k := range keys {
		w.StringKey(k)
		switch v := m[k].(type) {
		case string:
			w.String(v)
		case bool:
			w.Bool(v)
		case int:
			w.Int(v)
		default:
			w.Any(v)
		}
	}
	w.EndObject()
}

// Any writes v as encoding/json does, through it: json.Marshal, indented
// in place as an indenting Encoder would (json.Indent with the current
// depth as prefix gives the same lines).
func (w *Writer) Any(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		w.Fail(err)
		return
	}
	if !w.indent {
		w.buf = append(w.buf, b...)
		return
	}
	out := bytes.NewBuffer(w.buf)
	if err := json.Indent(out, b, newlines[1:1+2*w.depth], "  "); err != nil {
		w.Fail(err)
		return
	}
	w.buf = out.Bytes()
}
