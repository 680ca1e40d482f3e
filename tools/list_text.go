package tools

import (
	"bytes"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/mcpmend/mcpmend/internal/inert"
	"github.com/mcpmend/mcpmend/registry"
)

// Text renders the result as a compact table, one server a line, grouped by
// client: what a model reads and what `mcpmend list` prints (WriteText).
func (o *ListServersOutput) Text() string {
	var c chunks
	_ = o.WriteText(&c) // chunks takes every write
	var b strings.Builder
	b.Grow(c.size)
	for _, p := range c.parts {
		b.Write(p)
	}
	return b.String()
}

// chunks keeps what is written to it, to be joined into one allocation
// of the final size (a Builder written to would copy itself as it grows).
type chunks struct {
	parts [][]byte
	size  int
}

// Write keeps a copy of p.
func (c *chunks) Write(p []byte) (int, error) {
	c.parts = append(c.parts, bytes.Clone(p))
	c.size += len(p)
	return len(p), nil
}

// WriteText writes Text to out in chunks as it is rendered.
//
// Each client's servers are one aligned table: name, transport, scope,
// then the command or URL; state and problem lines start under that last
// column. The layout is text/tabwriter's (cells padded with spaces to the
// widest of their column plus two, widths counted in runes), computed in
// two passes over each client's servers instead of through tabwriter and
// fmt: on 15,000 servers that rendering allocated ~50 MB and cost as much
// as the JSON. Every value is made inert as it is written (a newline or
// tab in a project path cannot forge a line or shift a column), so the
// whole text is inert.
func (o *ListServersOutput) WriteText(out io.Writer) error {
	t := textTable{o: o, out: out, buf: make([]byte, 0, textChunk+textChunk/4)}
	if len(o.Servers) == 0 {
		t.str("No MCP servers are configured")
		if len(o.Problems) == 0 {
			t.str(".\n")
		} else {
			t.str(" that could be read.\n")
		}
	}
	for i, prev := 0, ""; i < len(o.Servers); {
		j := i + 1
		for j < len(o.Servers) && o.Servers[j].Client == o.Servers[i].Client {
			j++
		}
		if c := o.Servers[i].Client; c != prev { // (only a first client named "" has no title)
			t.str(inert.Line(c))
			t.str(":\n")
			prev = c
		}
		t.table(o.Servers[i:j])
		i = j
	}
	if len(o.Problems) > 0 {
		t.str("Problems:\n")
		ps := append([]registry.Problem(nil), o.Problems...)
		sort.SliceStable(ps, func(i, j int) bool { return ps[i].File < ps[j].File })
		for _, p := range ps {
			t.str("  ")
			t.str(inert.Line(ProblemText(p)))
			t.str("\n")
		}
	}
	return t.flush()
}

// textChunk is how much text is gathered before it is written.
const textChunk = 64 << 10

// textTable renders the list into buf, written to out each time it fills.
type textTable struct {
	o          *ListServersOutput
	out        io.Writer
	err        error
	buf        []byte
	key        []byte // StateKey, built here to look the state up without allocating
	w0, w1, w2 int    // column widths, padding included
}

func (t *textTable) flush() error {
	if t.err == nil && len(t.buf) > 0 {
		_, t.err = t.out.Write(t.buf)
	}
	t.buf = t.buf[:0]
	return t.err
}

func (t *textTable) str(s string) { t.buf = append(t.buf, s...) }

// pad is the spaces cells are padded with.
const pad = "                                                                "

func (t *textTable) spaces(n int) {
	for ; n > len(pad); n -= len(pad) {
		t.str(pad)
	}
	t.str(pad[:max(n, 0)])
}

// table writes one client's servers: the column widths first, then the
// lines.
func (t *textTable) table(servers []registry.Server) {
	t.w0, t.w1, t.w2 = len("  "), 0, 0 // the first cells of state and problem lines
	for i := range servers {
		s := &servers[i]
		t.w0 = max(t.w0, len("  ")+lineWidth(s.Name))
		t.w1 = max(t.w1, utf8.RuneCountInString(string(s.Transport)))
		w2 := utf8.RuneCountInString(s.Scope)
		if s.Project != "" {
			w2 += len("()") + lineWidth(s.Project)
		}
		t.w2 = max(t.w2, w2)
	}
	t.w0, t.w1, t.w2 = t.w0+2, t.w1+2, t.w2+2
	for i := range servers {
		if len(t.buf) >= textChunk {
			t.flush()
		}
		t.server(&servers[i])
	}
}

func (t *textTable) server(s *registry.Server) {
	start := len(t.buf)
	t.str("  ")
	t.str(inert.Line(s.Name))
	t.padFrom(start, t.w0)
	start = len(t.buf)
	t.str(string(s.Transport))
	t.padFrom(start, t.w1)
	start = len(t.buf)
	t.str(s.Scope)
	if s.Project != "" {
		t.str("(")
		t.str(inert.Line(s.Project))
		t.str(")")
	}
	t.padFrom(start, t.w2)
	t.str(target(*s))
	if st := status(*s); st != "" {
		t.str("  [")
		t.str(inert.Line(st))
		t.str("]")
	}
	t.str("\n")
	t.key = appendStateKey(t.key[:0], s)
	if sum, ok := t.o.States[string(t.key)]; ok && sum.Notable() {
		t.note("state: ", sum.Text())
	}
	for _, p := range s.Problems {
		t.note("problem: ", p)
	}
}

// note writes a line under the last column.
func (t *textTable) note(label, text string) {
	t.str("  ")
	t.spaces(t.w0 - len("  ") + t.w1 + t.w2)
	t.str(label)
	t.str(inert.Line(text))
	t.str("\n")
}

// padFrom pads the cell written from buf[start:] with spaces to width
// runes.
func (t *textTable) padFrom(start, width int) {
	t.spaces(width - utf8.RuneCount(t.buf[start:]))
}

// lineWidth is the width in runes of inert.Line(s), with one pass over s
// when it is printable ASCII (nearly always).
func lineWidth(s string) int {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return utf8.RuneCountInString(inert.Line(s))
		}
	}
	return len(s)
}

// appendStateKey appends StateKey(s).
func appendStateKey(dst []byte, s *registry.Server) []byte {
	dst = append(append(append(append(append(dst, s.Client...), '/'), s.Scope...), '/'), s.Name...)
	if s.Project != "" {
		dst = append(append(append(dst, " ("...), s.Project...), ')')
	}
	return dst
}
