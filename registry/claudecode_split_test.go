package registry

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// readBoth reads data with one scanner and with a second one starting at
// at, and fails when anything differs: the projects kept, the top-level
// mcpServers and the problem; and unless every project kept was handed on
// (see handedOn).
func readBoth(t *testing.T, data []byte, at int) {
	t.Helper()
	var one, split handedOn
	want, wantProb := readClaudeMainAt("f", data, one.done, 0)
	got, gotProb := readClaudeMainAt("f", data, split.done, at)
	if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(gotProb, wantProb) {
		t.Fatalf("split at %d (%q…) differs from one scanner:\n got  %s %+v\n want %s %+v", at, snippet(data, at),
			describe(got), gotProb, describe(want), wantProb)
	}
	one.check(t, want)
	split.check(t, got)
}

// handedOn records the projects a read hands to done, from any goroutine.
type handedOn struct {
	mu   sync.Mutex
	seen map[*claudeProject]bool
}

func (h *handedOn) done(p *claudeProject) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.seen == nil {
		h.seen = map[*claudeProject]bool{}
	}
	h.seen[p] = true
}

// check fails unless every project m keeps was handed on: discovery
// parses the servers of those it is handed, and of no other.
func (h *handedOn) check(t testing.TB, m *claudeMain) {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if m == nil {
		return
	}
	for dir, p := range m.projects {
		if !h.seen[p] {
			t.Fatalf("project %q was kept but never handed on (%d handed on)", dir, len(h.seen))
		}
	}
}

func snippet(data []byte, at int) string { return string(data[at:min(len(data), at+24)]) }

func describe(m *claudeMain) string {
	if m == nil {
		return "nil"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "servers=%q", m.servers)
	for _, d := range m.projectDirs() {
		p := m.projects[d]
		fmt.Fprintf(&b, " [%s servers=%q disabled=%q trusted=%v]", d, p.servers, p.disabled, p.trusted)
	}
	return b.String()
}

// splitFiles are ~/.claude.json shapes a split must read exactly as one
// scanner does: pretty and compact, duplicate projects, a second
// "projects", mcpServers on either side, keys that look like boundaries
// inside strings and deeper objects, and broken halves.
func splitFiles() map[string]string {
	project := func(dir string, i int) string {
		return fmt.Sprintf(`%q:{"history":[{"display":"fix },\"/x\":{ in %d\n","pastedContents":{}}],"mcpServers":{"s%d":{"command":"c"},"/odd":{"url":"u"}},"disabledMcpServers":["s%d"],"hasTrustDialogAccepted":%v}`, dir, i, i, i, i%2 == 0)
	}
	var ps []string
	for i := range 12 {
		ps = append(ps, project(fmt.Sprintf("/home/u/p%d", i), i))
	}
	projects := strings.Join(ps, ",")
	files := map[string]string{
		"compact":             `{"numStartups":1,"projects":{` + projects + `},"mcpServers":{"u":{"command":"x"}}}`,
		"servers first":       `{"mcpServers":{"u":{"command":"x"}},"projects":{` + projects + `}}`,
		"duplicate project":   `{"projects":{` + projects + `,` + project("/home/u/p3", 99) + `}}`,
		"second projects":     `{"projects":{` + projects + `},"mcpServers":{},"projects":{` + strings.Join(ps[:3], ",") + `},"tail":[1,2.5e3,true,null]}`,
		"windows":             `{"projects":{` + strings.ReplaceAll(projects, "/home/u/", `C:\\Users\\u\\`) + `}}`,
		"not an object":       `{"projects":{"/a":1,` + projects + `,"/b":"x"}}`,
		"broken second half":  `{"projects":{` + projects + `,"/z":{"mcpServers":{"a":}}}}`,
		"broken first half":   `{"projects":{"/y":{"a":[1,,2]},` + projects + `}}`,
		"trailing garbage":    `{"projects":{` + projects + `}} x`,
		"truncated":           `{"projects":{` + projects,
		"projects is a list":  `{"projects":[` + projects + `]}`,
		"nested projects key": `{"other":{"projects":{` + projects + `}},"projects":{}}`,
	}
	files["pretty"] = indent(files["compact"])
	files["pretty second projects"] = indent(files["second projects"])
	return files
}

// indent is a two-space pretty-printing like JSON.stringify(v, null, 2),
// enough for these files (no brackets inside strings but escaped ones).
func indent(s string) string {
	var b strings.Builder
	depth, inStr, esc := 0, false, false
	nl := func() { b.WriteString("\n" + strings.Repeat("  ", depth)) }
	for _, c := range s {
		switch {
		case inStr:
			b.WriteRune(c)
			if esc {
				esc = false
			} else if c == '\\' {
				esc = true
			} else if c == '"' {
				inStr = false
			}
		case c == '"':
			inStr = true
			b.WriteRune(c)
		case c == '{' || c == '[':
			depth++
			b.WriteRune(c)
			nl()
		case c == '}' || c == ']':
			depth--
			nl()
			b.WriteRune(c)
		case c == ',':
			b.WriteRune(c)
			nl()
		case c == ':':
			b.WriteString(": ")
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// Every quote of every file is tried as the boundary: the right ones, and
// all the wrong ones (inside strings, deeper objects, other members).
func TestSplitReadEqualsOneScanner(t *testing.T) {
	for name, f := range splitFiles() {
		t.Run(name, func(t *testing.T) {
			data := []byte(f)
			tried := 0
			for at := 1; at < len(data); at++ {
				if data[at] == '"' {
					readBoth(t, data, at)
					tried++
				}
			}
			if tried < 20 {
				t.Fatalf("only %d boundaries tried", tried)
			}
		})
	}
}

// The guess lands on a real boundary of a real shape, and the split read
// then takes the second scanner's half.
func TestProjectBoundaryFindsAProject(t *testing.T) {
	for _, name := range []string{"compact", "pretty", "windows"} {
		data := []byte(splitFiles()[name])
		at := projectBoundary(data, len(data)/2)
		if at == 0 || !strings.HasPrefix(snippet(data, at), `"/home/u/p`) && !strings.HasPrefix(snippet(data, at), `"C:`) {
			t.Fatalf("%s: boundary at %d (%q), want a project key", name, at, snippet(data, at))
		}
		s := &jsonScanner{data: data}
		took := false
		s.handoffAt, s.handoffDepth, s.handoff = at, -1, func() bool { took = true; return readTail(data, at, nil).ok }
		r := &mainReader{s: s, m: &claudeMain{projects: map[string]*claudeProject{}}}
		if !s.document(r.top) || !took || !s.stopped {
			t.Fatalf("%s: the first scanner did not hand off at %d (took %v, stopped %v)", name, at, took, s.stopped)
		}
	}
}

// The generated big file splits, and reads the same both ways.
func TestSplitReadOfTheBenchmarkShape(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"numStartups":812,"projects":{`)
	for p := range 400 {
		if p > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"/home/u/src/project-%04d":{"history":[`, p)
		for h := range 20 {
			if h > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `{"display":"Please refactor the \"handler\" — entry %d\n","pastedContents":{}}`, h)
		}
		fmt.Fprintf(&b, `],"mcpServers":{"db":{"command":"npx","args":["-y","db%d"]}},"hasTrustDialogAccepted":true}`, p)
	}
	b.WriteString(`},"mcpServers":{"user":{"type":"http","url":"https://x"}}}`)
	data := []byte(b.String())
	at := projectBoundary(data, len(data)/2)
	if at == 0 {
		t.Fatal("no boundary found in the benchmark shape")
	}
	readBoth(t, data, at)
	if tail := readTail(data, at, nil); !tail.ok || len(tail.m.projects) < 150 {
		t.Fatalf("the second half read %d projects (ok %v)", len(tail.m.projects), tail.ok)
	}
}

// FuzzClaudeMainSplit reads arbitrary input with the second scanner
// starting at an arbitrary quote: the result must be one scanner's.
func FuzzClaudeMainSplit(f *testing.F) {
	for _, s := range splitFiles() {
		f.Add([]byte(s), uint(len(s)/2))
	}
	f.Fuzz(func(t *testing.T, data []byte, n uint) {
		if len(data) < 2 {
			return
		}
		var quotes []int
		for i := 1; i < len(data); i++ {
			if data[i] == '"' {
				quotes = append(quotes, i)
			}
		}
		if len(quotes) == 0 {
			return
		}
		readBoth(t, data, quotes[int(n%uint(len(quotes)))])
	})
}
