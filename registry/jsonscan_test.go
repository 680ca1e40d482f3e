package registry

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// jsonScanCases are inputs at every branch of the scanner: strings long
// enough for the 8-byte fast path with the special byte at each offset.
var jsonScanCases = []string{
	`{}`, `[]`, `""`, `0`, `-0`, `1.5e+10`, `-12.0E-3`, `true`, `false`, `null`, ` {"a" : [1, 2 , {"b":null}] } `,
	`{"k":"` + strings.Repeat("x", 17) + `"}`,
	`"abcdefg\"hijklmnop"`, `"abcdefgh\\"`, `"abcdefghijklmno\u00e9p\/q"`, `"\uD83D\uDE00 ok"`, `"tab\there"`,
	`"` + strings.Repeat("é", 20) + `"`,
	// invalid
	``, ` `, `{`, `}`, `[1,]`, `{"a":1,}`, `{"a" 1}`, `{a:1}`, `01`, `1.`, `.5`, `1e`, `-`, `+1`, `tru`, `nul`, `[1 2]`,
	`"abc`, `"abcdefghijklmnop`, `"bad \x escape"`, `"\u12G4"`, `"\u12"`, "\"raw\nnewline\"", "\"abcdefghij\x01klm\"",
	`{"a":1} x`, `{"a":1}{}`, `"\`,
}

func TestJSONScanner(t *testing.T) {
	for i := 0; i < 9; i++ { // the special byte at each position of a word
		for _, c := range []string{`"`, `\n`, "\n"} {
			jsonScanCases = append(jsonScanCases, `"`+strings.Repeat("a", i)+c+strings.Repeat("b", 9)+`"`)
		}
	}
	for _, in := range jsonScanCases {
		s := &jsonScanner{data: []byte(in)}
		if got, want := s.document(nil), json.Valid([]byte(in)); got != want {
			t.Errorf("scan %q = %v, json.Valid = %v", in, got, want)
		}
	}
}

// TestJSONScannerMembers checks that members are found at the top level and
// in nested objects, with escaped keys decoded, and that duplicate keys
// keep the last value, as JSON.parse does.
func TestJSONScannerMembers(t *testing.T) {
	in := `{"x":{"mcpServers":1},"mcpServers":{"a":1},"projects":{"C:\\dir\u00e9":{"mcpServers":{"b":2},"hasTrustDialogAccepted":true,"disabledMcpServers":["b",3]},"/p":[]},"mcpServers":{"c":3}}`
	s := &jsonScanner{data: []byte(in)}
	var got []string
	ok := s.document(func(key string) bool {
		got = append(got, key)
		if key == "projects" {
			return s.object(func(dir string) bool {
				got = append(got, "dir "+dir)
				raw, ok := s.skip()
				got = append(got, string(raw))
				return ok
			})
		}
		return s.value()
	})
	want := `x mcpServers projects dir C:\diré {"mcpServers":{"b":2},"hasTrustDialogAccepted":true,"disabledMcpServers":["b",3]} dir /p [] mcpServers`
	if !ok || strings.Join(got, " ") != want {
		t.Errorf("ok=%v members:\n%s\nwant:\n%s", ok, strings.Join(got, " "), want)
	}
	m, prob := readClaudeMainBytes("f", []byte(in), nil)
	if prob != nil || string(m.servers) != `{"c":3}` || !m.projects[`C:\diré`].trusted || strings.Join(m.projects[`C:\diré`].disabled, ",") != "b" {
		t.Errorf("readClaudeMain: %+v %v", m, prob)
	}
}

// FuzzJSONScanner checks the scanner against encoding/json on any input.
func FuzzJSONScanner(f *testing.F) {
	for _, c := range jsonScanCases {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s := &jsonScanner{data: []byte(in)}
		if got, want := s.document(nil), json.Valid([]byte(in)); got != want {
			t.Errorf("scan %q = %v, json.Valid = %v", in, got, want)
		}
	})
}

// TestReadLarge checks the concurrent read of a big file against
// os.ReadFile, for a size that does not divide into its parts.
func TestReadLarge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.json")
	data := make([]byte, 17<<20+3)
	for i := range data {
		data[i] = byte(i * 7)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := readLarge(path)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("readLarge: %d bytes, err %v; want the %d bytes written", len(got), err, len(data))
	}
	if _, err := readLarge(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// readAtParts reads every byte once, whatever the size against the parts
// (sizes below one byte a part, remainders, exact fits).
func TestReadAtPartsReadsTheWholeFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	data := make([]byte, 3<<20+12345)
	for i := range data {
		data[i] = byte(i*7 + i>>9)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, c := range []struct{ size, parts int }{
		{len(data), 4}, {len(data), 2}, {len(data), 3}, {1 << 20, 4}, {5, 4}, {3, 4}, {0, 2},
	} {
		buf := make([]byte, c.size)
		if err := readAtParts(f, buf, c.parts); err != nil || !bytes.Equal(buf, data[:c.size]) {
			t.Errorf("%+v: err %v, bytes equal %v", c, err, bytes.Equal(buf, data[:c.size]))
		}
	}
}
