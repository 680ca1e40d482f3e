package registry

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// readStreamed reads data as readClaudeMain reads a large file: scanned as
// it is read through a buffer of bufSize bytes (a second scanner from at
// on: 0 none), and read whole when that fails. It fails the test when
// anything differs from one scanner over all of data: the projects kept,
// the top-level mcpServers, the problem (line and column included); and
// unless every project kept was handed to done.
func readStreamed(t testing.TB, data []byte, bufSize, at int) {
	t.Helper()
	var streamed handedOn
	want, wantProb := readClaudeMainAt("f", bytes.TrimPrefix(data, bom), nil, 0)
	got, ok := scanClaudeMain("f", bytes.NewReader(data), int64(len(data)), bufSize, at, streamed.done)
	var gotProb *Problem
	if !ok {
		if want != nil {
			t.Fatalf("buffer %d, split at %d: the streamed read failed on %q, which one scanner reads", bufSize, at, data)
		}
		got, gotProb = readClaudeMainBytes("f", data, nil)
	}
	if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(gotProb, wantProb) {
		t.Fatalf("buffer %d, split at %d, streamed differs from one scanner over %q:\n got  %s %+v\n want %s %+v", bufSize, at, data,
			describe(got), gotProb, describe(want), wantProb)
	}
	if ok {
		streamed.check(t, got)
	}
}

// tinyBuffers are buffer sizes that put the buffer's end inside every
// kind of token.
var tinyBuffers = []int{1, 2, 3, 7, 64}

// The ~/.claude.json shapes of the split tests, streamed through tiny
// buffers by one scanner, and by two with the second starting at every
// quote.
func TestStreamedReadEqualsOneScanner(t *testing.T) {
	for name, f := range splitFiles() {
		t.Run(name, func(t *testing.T) {
			data := []byte(f)
			for _, n := range tinyBuffers {
				readStreamed(t, data, n, 0)
			}
			for at := 1; at < len(data); at++ {
				if data[at] == '"' {
					readStreamed(t, data, 3, at)
					readStreamed(t, data, 64, at)
				}
			}
		})
	}
}

// Every input of the scanner's own tests, and the files of the registry's
// test homes, read the same streamed; a document that is not an object is
// read too (and kept as nothing).
func TestStreamedScannerCases(t *testing.T) {
	var inputs []string
	for _, in := range jsonScanCases {
		inputs = append(inputs, in, `{"projects":{"/p":{"mcpServers":`+in+`}},"x":`+in+`}`)
	}
	err := filepath.WalkDir("testdata", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".json") {
			b, err := os.ReadFile(path)
			inputs = append(inputs, string(b))
			return err
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range inputs {
		for _, n := range tinyBuffers {
			readStreamed(t, []byte(in), n, 0)
			s := newStreamScanner(strings.NewReader(in), 0, int64(len(in)), make([]byte, n))
			if got, want := s.document(nil), (&jsonScanner{data: []byte(in)}).document(nil); got != want {
				t.Errorf("buffer %d: streamed scan of %q = %v, in memory %v", n, in, got, want)
			}
		}
	}
}

// A byte order mark is skipped, and invalid JSON after one is reported
// where the whole read reports it.
func TestStreamedBOM(t *testing.T) {
	for _, in := range []string{"\xef\xbb\xbf" + `{"projects":{"/a":{"hasTrustDialogAccepted":true}}}`, "\xef\xbb\xbf", "\xef\xbb", "\xef\xbb\xbf{\n  \"a\": tru\n}", "\xef\xbb\xbf\xef\xbb\xbf{}"} {
		for _, n := range tinyBuffers {
			readStreamed(t, []byte(in), n, 0)
		}
	}
	in := "\xef\xbb\xbf" + `{"projects":{"/a":{"hasTrustDialogAccepted":true}}}`
	got, ok := scanClaudeMain("f", strings.NewReader(in), int64(len(in)), 2, 0, nil)
	if !ok || !got.projects["/a"].trusted {
		t.Fatalf("after a BOM: %s, ok %v", describe(got), ok)
	}
}

// Escapes and keys cut by the buffer's end anywhere: kept keys (decoded),
// keys inside skipped values, values kept across many reads, escapes at
// every offset of a buffer (shifted by padding).
func TestStreamedEdges(t *testing.T) {
	doc := `{"mcpServers":{"s\u00e9":{"command":"x\u00e9\"\\\/\b\f\n\r\t","args":[1,-2.5e+3,true,false,null]}},` +
		`"projects":{"/a\u00e9b":{"mcpServers":{"k\u00e9y":{"url":"u\u00e9"}},"disabledMcpServers":["k\u00e9y"],"hasTrustDialogAccepted":true},` +
		`"\/b":{"history":[{"display":"\u00e9\u00e9\u00e9"}],"hasTrustDialogAccepted":false}}}`
	for pad := range 70 {
		data := []byte(strings.Repeat(" ", pad) + doc)
		for _, n := range tinyBuffers {
			readStreamed(t, data, n, 0)
		}
	}
	m, ok := scanClaudeMain("f", strings.NewReader(doc), int64(len(doc)), 1, 0, nil)
	if p := m.projects["/aéb"]; !ok || p == nil || p.servers != `{"k\u00e9y":{"url":"u\u00e9"}}` || !reflect.DeepEqual(p.disabled, []string{"kéy"}) {
		t.Fatalf("decoded: %s, ok %v", describe(m), ok)
	}
	// A broken escape cut at every byte is the whole read's problem.
	for _, bad := range []string{`"\u00g9"`, `"\u00e"`, `"\x"`, `"\`, `"\u`} {
		for pad := range 12 {
			data := []byte(`{"projects":{"/p":{"mcpServers":{"a":` + strings.Repeat(" ", pad) + bad + `}}}}`)
			for _, n := range tinyBuffers {
				readStreamed(t, data, n, 0)
			}
		}
	}
}

// A kept value many times the buffer's size is read whole: the buffer
// grows while it is kept, and the value is what one scanner reads.
func TestStreamedValueAcrossManyReads(t *testing.T) {
	var servers []string
	for i := range 300 {
		servers = append(servers, fmt.Sprintf(`"s%d":{"command":"run \"%d\"","env":{"K":"v\u00e9"}}`, i, i))
	}
	doc := `{"numStartups":3,"mcpServers":{` + strings.Join(servers, ",") + `},"projects":{"/p":{"mcpServers":{` + strings.Join(servers, ",") + `}}}}`
	for _, n := range []int{1, 7, 64, 4096} {
		readStreamed(t, []byte(doc), n, 0)
	}
	m, ok := scanClaudeMain("f", strings.NewReader(doc), int64(len(doc)), 7, 0, nil)
	var v map[string]any
	if !ok || json.Unmarshal(m.servers, &v) != nil || len(v) != 300 || len(m.projects["/p"].servers) != len(m.servers) {
		t.Fatalf("ok %v, %d servers, %d bytes of project servers", ok, len(v), len(m.projects["/p"].servers))
	}
}

// bigClaudeJSON writes a ~/.claude.json past streamMinSize: projects with
// history, each defining one server, and one project repeating a server
// name (the last definition wins, as with JSON.parse).
func bigClaudeJSON(t *testing.T, projects int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(`{"mcpServers":{"u":{"command":"user"}},"projects":{`)
	for p := range projects {
		if p > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"/src/p%d":{"history":[%s],"mcpServers":{"s":{"command":"first"},"s":{"command":"run-%d"}},"hasTrustDialogAccepted":true}`,
			p, strings.TrimSuffix(strings.Repeat(`{"display":"a long prompt that fills the file \"quoted\""},`, 40), ","), p)
	}
	b.WriteString(`}}`)
	path := filepath.Join(t.TempDir(), ".claude.json")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(path); st.Size() < streamMinSize {
		t.Fatalf("%d bytes: not large enough to be streamed", st.Size())
	}
	return path
}

// A large file is streamed, in two halves when large enough, with the
// result of reading its bytes; the servers kept are copies (the buffer has
// been reused many times over when they are used).
func TestClaudeMainStreamed(t *testing.T) {
	path := bigClaudeJSON(t, 600)
	old := splitMinSize
	splitMinSize = streamMinSize
	t.Cleanup(func() { splitMinSize = old })
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want, wantProb := readClaudeMainAt(path, data, nil, 0)
	for _, n := range []int{4096, streamBufSize} {
		var streamed handedOn
		m, ok := readClaudeMainStream(path, n, streamed.done)
		if !ok || wantProb != nil || len(m.projects) != 600 || !reflect.DeepEqual(m, want) {
			t.Fatalf("buffer %d: streamed %d projects (ok %v), read %d (%v)", n, len(m.projects), ok, len(want.projects), wantProb)
		}
		streamed.check(t, m)
		if s := m.projects["/src/p7"].servers; s != `{"s":{"command":"run-7"}}` {
			t.Errorf("p7 servers = %s", s)
		}
	}
	if at, _ := guessTail(bytes.NewReader(data), int64(len(data)), 4096, nil, nil); at <= len(data)/2 || !strings.HasPrefix(snippet(data, at), `"/src/p`) {
		t.Errorf("guessed boundary at %d (%q), want a project key past the middle", at, snippet(data, at))
	}
}

// Projects longer than the first window the boundary is looked for in
// are split in the larger one, and read as one scanner reads them.
func TestStreamedGuessInTheLargerWindow(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"projects":{`)
	for p := range 40 {
		if p > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"/src/p%d":{"history":[%s],"mcpServers":{"s":{"command":"run-%d"}}}`,
			p, strings.TrimSuffix(strings.Repeat(`{"display":"a prompt of a hundred bytes or so, \"quoted\", many times over in one project"},`, 1200), ","), p)
	}
	b.WriteString(`}}`)
	data := []byte(b.String())
	at, _ := guessTail(bytes.NewReader(data), int64(len(data)), 4096, nil, nil)
	if at <= len(data)/2+64<<10 || !strings.HasPrefix(snippet(data, at), `"/src/p`) {
		t.Fatalf("guessed boundary at %d (%q), want a project key past the first window", at, snippet(data, at))
	}
	readStreamed(t, data, 4096, -1)
}

// A file truncated by another program while it is streamed is read again
// as it is now; one that grows is read again too.
func TestClaudeMainChangedWhileStreamed(t *testing.T) {
	path := bigClaudeJSON(t, 600)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	truncated := false
	_, ok := readClaudeMainStream(path, 4096, func(*claudeProject) {
		if !truncated {
			truncated = true
			if err := os.Truncate(path, int64(len(data)/2)); err != nil {
				t.Error(err)
			}
		}
	})
	if !truncated || ok {
		t.Fatalf("truncated %v, ok %v: want the short read reported as not read", truncated, ok)
	}
	// readClaudeMain then reads what is there now: half a file.
	if m, prob := readClaudeMain(Env{}, path, nil); m != nil || prob == nil || !strings.Contains(prob.Message, "invalid JSON") {
		t.Errorf("after truncation: %s, %v", describe(m), prob)
	}

	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	grown := false
	_, ok = readClaudeMainStream(path, 4096, func(*claudeProject) {
		if !grown {
			grown = true
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
			if err == nil {
				_, err = f.WriteString("\n")
				f.Close()
			}
			if err != nil {
				t.Error(err)
			}
		}
	})
	if !grown || ok {
		t.Fatalf("grown %v, ok %v: want the growth noticed", grown, ok)
	}
	if m, prob := readClaudeMain(Env{}, path, nil); prob != nil || len(m.projects) != 600 {
		t.Errorf("after growth: %d projects, %v", len(m.projects), prob)
	}
}

// Input that ends before the size the file had when opened is not
// trusted, even when what was read is a whole document (the file was
// rewritten shorter): the caller reads the file again.
func TestStreamedShortInput(t *testing.T) {
	data := []byte(splitFiles()["servers first"]) // ends in nothing kept: one byte read at a time to the end
	for _, at := range []int{0, bytes.Index(data, []byte(`"/home/u/p7"`))} {
		for _, n := range []int{1, 2, 64, 1 << 20} {
			m, ok := scanClaudeMain("f", bytes.NewReader(data), int64(len(data)+5), n, at, nil)
			if ok || m != nil {
				t.Errorf("buffer %d, split at %d: read %s from a short input, ok %v", n, at, describe(m), ok)
			}
			if m, ok := scanClaudeMain("f", bytes.NewReader(data), int64(len(data)), n, at, nil); !ok || len(m.projects) != 12 {
				t.Errorf("buffer %d, split at %d: whole input: %s, ok %v", n, at, describe(m), ok)
			}
		}
	}
}

// A file cut short anywhere (inside keys, escapes, kept values, literals,
// numbers) is never read as whole, however the buffer falls.
func TestStreamedCutAnywhere(t *testing.T) {
	doc := []byte(`{"mcpServers":{"s\u00e9":{"command":"x\n","args":[1,-2.5e+3,true,false,null]}},"projects":{"/a\u00e9b":{"mcpServers":{"k":{"url":"u"}},"hasTrustDialogAccepted":true}}}` + "\n")
	at := bytes.Index(doc, []byte(`"/a`))
	for k := range len(doc) {
		for _, n := range tinyBuffers {
			for _, split := range []int{0, at} {
				if m, ok := scanClaudeMain("f", bytes.NewReader(doc[:k]), int64(len(doc)), n, split, nil); ok || m != nil {
					t.Fatalf("cut at %d, buffer %d, split at %d: read %s", k, n, split, describe(m))
				}
			}
		}
	}
}

// A syntax error in a large file is reported at the line and column of
// the whole read.
func TestClaudeMainStreamedSyntaxError(t *testing.T) {
	path := bigClaudeJSON(t, 600)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data = append(append(data[:len(data)-2:len(data)-2], ",\n\n  \"/x\": {]"...), data[len(data)-2:]...)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	m, prob := readClaudeMain(Env{}, path, nil)
	if m != nil || prob == nil || prob.Line != 3 || prob.Column != 10 {
		t.Fatalf("got %s, %+v; want the problem at line 3, column 10", describe(m), prob)
	}
}

// FuzzClaudeMainStream reads arbitrary input streamed through a small
// buffer, with a second scanner from an arbitrary quote: the result must
// be one scanner's over the whole input. The first byte picks the
// buffer's size, the second the quote (none when even); the seeds are
// small, so that the fuzzer's minimizing of each new input stays quick.
func FuzzClaudeMainStream(f *testing.F) {
	small := `{"mcpServers":{"u":{"command":"x"}},"projects":{"/a":{"history":[{"display":"\"},\"/x\":{"}],` +
		`"mcpServers":{"s":{"url":"u\u00e9"}},"disabledMcpServers":["s"],"hasTrustDialogAccepted":true},` +
		`"/b":{"mcpServers":{"t":{"command":"c"}}}},"projects":{"C:\\b":{}},"x":[1,-2.5e3,true,null]}`
	for i, s := range []string{small, indent(small), "\xef\xbb\xbf" + small, small[:len(small)/2]} {
		f.Add(append([]byte{byte(i * 7), byte(2*i + 1)}, s...))
	}
	for i, s := range jsonScanCases {
		f.Add(append([]byte{byte(i), 0}, s...))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) < 2 {
			return
		}
		buf, pick, data := 1+int(in[0]%80), int(in[1]), in[2:]
		at := 0
		var quotes []int
		for i := 1; i < len(data); i++ {
			if data[i] == '"' {
				quotes = append(quotes, i)
			}
		}
		if len(quotes) > 0 && pick%2 == 1 {
			at = quotes[pick/2%len(quotes)]
		}
		readStreamed(t, data, buf, at)
	})
}
