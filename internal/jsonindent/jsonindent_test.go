package jsonindent

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

var cases = []string{
	`{}`, `[]`, `{ }`, `[ ]`, `""`, `0`, `-1.5e+10`, `true`, `null`, " {\"a\" : [1, 2 , {\"b\":null}] } \n",
	`{"a":{},"b":[],"c":[{}],"d":{"e":[[]]}}`, `{"k":"a\"b\\","l":"\\\\\"x\"\\"}`, `["\u00e9\/", "<&>"]`,
	`[1,2,3]`, "\n\t[ 1 ,\r\n 2 ]\n\n", `{"a":"x,y:{z}[w]"}`, `[true,false,null,0.5,-0,1E3]`,
}

// TestWrite compares Write with json.Indent, for the prefixes and indents
// mcpmend uses and odd ones.
func TestWrite(t *testing.T) {
	for _, in := range cases {
		for _, pi := range [][2]string{{"", "  "}, {"", "\t"}, {">", "."}, {"", ""}} {
			check(t, in, pi[0], pi[1])
		}
	}
}

// TestWriteMarshal checks the shape mcpmend writes: Marshal's output and
// the Encoder's newline.
func TestWriteMarshal(t *testing.T) {
	v := map[string]any{"servers": []any{map[string]any{"name": "a<b>", "args": []string{}, "env": map[string]string{}, "n": 3}}, "x": nil}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var enc bytes.Buffer
	e := json.NewEncoder(&enc)
	e.SetIndent("", "  ")
	if err := e.Encode(v); err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := Write(&got, append(b, '\n'), "", "  "); err != nil {
		t.Fatal(err)
	}
	if got.String() != enc.String() {
		t.Errorf("got\n%s\nwant\n%s", got.String(), enc.String())
	}
}

func check(t *testing.T, in, prefix, indent string) {
	t.Helper()
	var want bytes.Buffer
	if err := json.Indent(&want, []byte(in), prefix, indent); err != nil {
		return // Write is only given valid JSON
	}
	var got strings.Builder
	if err := Write(&got, []byte(in), prefix, indent); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Errorf("Write(%q, %q, %q) =\n%q\njson.Indent:\n%q", in, prefix, indent, got.String(), want.String())
	}
}

// FuzzWrite checks Write against json.Indent on any valid JSON.
func FuzzWrite(f *testing.F) {
	for _, c := range cases {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, in string) {
		if json.Valid([]byte(in)) {
			check(t, in, "", "  ")
		}
	})
}

// BenchmarkWrite compares Write with json.Indent on a list-sized document.
func BenchmarkWrite(b *testing.B) {
	type server struct {
		Name, Client, Scope, Project, File, Path, Transport, Command string
		Args                                                         []string
		Effective                                                    bool
	}
	var v []server
	for i := range 15000 {
		v = append(v, server{"gateway", "claude-code", "local", "/src/p", "/h/.claude.json", "projects.x", "stdio", "npx", []string{"-y", "mcp-remote", "https://gw.example.com/mcp"}, i%2 == 0})
	}
	src, _ := json.Marshal(v)
	b.Run("jsonindent", func(b *testing.B) {
		b.SetBytes(int64(len(src)))
		for b.Loop() {
			_ = Write(io_discard{}, src, "", "  ")
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(src)))
		var buf bytes.Buffer
		for b.Loop() {
			buf.Reset()
			_ = json.Indent(&buf, src, "", "  ")
		}
	})
}

type io_discard struct{}

func (io_discard) Write(p []byte) (int, error) { return len(p), nil }
