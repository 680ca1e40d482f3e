package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/mcpmend/mcpmend/cache"
	"github.com/mcpmend/mcpmend/registry"
	"github.com/mcpmend/mcpmend/tools/diagnose"
	"github.com/mcpmend/mcpmend/tools/jsonout"
)

// copyTree copies the registry fixture directory src into dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// otherClientsHome assembles one macOS home and one project from the
// registry's per-client fixtures, every one of which carries canary secrets.
func otherClientsHome(t *testing.T) registry.Env {
	t.Helper()
	fx := filepath.Join("..", "registry", "testdata")
	home, proj := t.TempDir(), t.TempDir()
	for _, c := range []struct{ src, dst string }{
		{"desktop/mac", home},
		{"cursor/home", home},
		{"vscode/mac", home},
		{"windsurf/home", home},
		{"codex/home", home},
		{"gemini/home", home},
		{"zed/mac", home},
		{"cursor/proj", proj},
		{"vscode/ws", proj},
		{"gemini/proj", proj},
		{"codex/proj", proj},
	} {
		copyTree(t, filepath.Join(fx, c.src), c.dst)
	}
	vars := map[string]string{"CODEX_TOKEN": "CANARY-codex-bearer", "CODEX_HEADER": "CANARY-codex-envhdr"}
	return registry.Env{Home: home, CWD: proj, GOOS: "darwin", Getenv: func(k string) string { return vars[k] }}
}

func TestListServersOtherClientsHideSecrets(t *testing.T) {
	env := otherClientsHome(t)
	d := NewDeps(env, nil)
	out, err := ListServers(context.Background(), d, ListServersInput{})
	if err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	text := out.Text()
	for what, s := range map[string]string{"text": text, "json": string(js)} {
		if i := strings.Index(s, "CANARY"); i >= 0 {
			t.Errorf("%s leaks a canary secret: …%s…", what, s[max(0, i-80):min(len(s), i+40)])
		}
	}
	// Every client was read, and the lines say what each client makes of its entries.
	for _, want := range []string{
		"claude-desktop:\n",
		"  remote *  http  user  https://[redacted]@mcp.example.com/mcp?team=a&token=[redacted]  [not used]\n      problem: Claude Desktop skips remote entries; use Settings → Connectors\n",
		"cursor:\n",
		"  shared  http  project(" + env.CWD + ")  http://127.0.0.1:3000/mcp  [untrusted folder: never started by mcpmend]\n",
		"vscode:\n",
		"  shared  http  workspace(" + env.CWD + ")  http://localhost:8080/mcp  [untrusted folder: never started by mcpmend]\n",
		"windsurf:\n",
		"  cursor style  http  user  https://mcp.example.com/mcp  [not used]\n      problem: Windsurf reads serverUrl, not url\n",
		"codex:\n",
		"  with space*  stdio  user  uvx mcp-server-fetch --token [redacted]  [disabled]\n",
		"gemini:\n",
		"  sse-one  sse  user  https://sse.example.com/sse\n",
		"zed:\n",
		"  mac  stdio  user  mac-server\n",
	} {
		// Columns are aligned with padding: compare with runs of spaces
		// collapsed to two.
		if collapse := regexp.MustCompile(`  +`); !strings.Contains(collapse.ReplaceAllString(text, "  "), collapse.ReplaceAllString(want, "  ")) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	// Within a client the columns line up.
	var cols []int
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "  filesystem ") || strings.HasPrefix(line, "  remote * ") {
			cols = append(cols, strings.Index(line, "  user  "))
		}
	}
	if len(cols) != 2 || cols[0] != cols[1] {
		t.Errorf("the scope column is not aligned (offsets %v):\n%s", cols, text)
	}
}

func TestListServersClientFilter(t *testing.T) {
	d := NewDeps(otherClientsHome(t), nil)
	for _, client := range []string{registry.ClaudeDesktop, registry.Cursor, registry.VSCode, registry.Windsurf, registry.Codex, registry.Gemini, registry.Zed} {
		out, err := ListServers(context.Background(), d, ListServersInput{Client: client})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Servers) == 0 {
			t.Errorf("%s: no servers", client)
		}
		for _, s := range out.Servers {
			if s.Client != client {
				t.Errorf("filter %s let %s through", client, s.ID())
			}
		}
	}
}

// TestListAppendJSON: the list's own encoder (tools/jsonout) gives
// json.Marshal's bytes compact (jsonout.AppendJSON) and a json.Encoder with
// SetIndent("", "  ")'s from WriteJSON, for a list long enough that its
// states are encoded on two cores, a short one, an empty one and one
// without servers, with a problem holding characters json escapes.
func TestListAppendJSON(t *testing.T) {
	d := readsHome(t, 1000)
	long, err := ListServers(context.Background(), d, ListServersInput{})
	if err != nil || len(long.Servers) < 3000 || len(long.States) < 3000 {
		t.Fatalf("%v, %d servers, %d states", err, len(long.Servers), len(long.States))
	}
	long.Problems = append(long.Problems, registry.Problem{Client: "cursor", File: "/x/<y>.json", Message: "a & b\u2028"})
	short := *long
	short.Servers = short.Servers[:3]
	short.States = map[string]cache.Summary{StateKey(short.Servers[0]): long.States[StateKey(short.Servers[0])]}
	for name, o := range map[string]*ListServersOutput{
		"long": long, "short": &short, "empty": {Servers: []registry.Server{}}, "nil": {},
	} {
		encodesLikeEncodingJSON(t, name, o)
	}
}

// handEncoded is a result with its own encoder (tools/jsonout).
type handEncoded interface {
	encode(w *jsonout.Writer)
	WriteJSON(out io.Writer) error
}

// encodesLikeEncodingJSON fails unless o's encoder gives json.Marshal's
// bytes compact (jsonout.AppendJSON) and WriteJSON an indenting
// json.Encoder's.
func encodesLikeEncodingJSON(t *testing.T, name string, o handEncoded) {
	t.Helper()
	want, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	got, err := jsonout.AppendJSON([]byte("prefix"), o.encode)
	if err != nil || string(got) != "prefix"+string(want) {
		t.Errorf("%s: AppendJSON differs from json.Marshal (err %v, %d vs %d bytes)", name, err, len(got)-6, len(want))
	}
	var enc, out bytes.Buffer
	e := json.NewEncoder(&enc)
	e.SetIndent("", "  ")
	if err := e.Encode(o); err != nil {
		t.Fatal(err)
	}
	if err := o.WriteJSON(&out); err != nil || out.String() != enc.String() {
		t.Errorf("%s: WriteJSON differs from an indenting json.Encoder (err %v, %d vs %d bytes)", name, err, out.Len(), enc.Len())
	}
}

// TestListEncodeEveryField: ListServersOutput.encode writes these members;
// a field added to the type must be added there (and here).
func TestListEncodeEveryField(t *testing.T) {
	tags := fieldTags(reflect.TypeFor[ListServersOutput]())
	want := []string{"Servers servers", "Problems problems,omitempty", "States states,omitempty"}
	if !slices.Equal(tags, want) {
		t.Errorf("ListServersOutput's fields are %q; encode writes %q: teach it the new ones", tags, want)
	}
}

// TestCheckupAppendJSON: checkup's own encoder (tools/jsonout) gives
// json.Marshal's bytes compact (jsonout.AppendJSON) and an indenting json.Encoder's
// from WriteJSON, for a long checkup (with file findings and characters
// json escapes, a probe summary, a next step with arguments, where a
// new-step finding was searched), a short one, an empty one and a zero one.
func TestCheckupAppendJSON(t *testing.T) {
	d := readsHome(t, 200)
	long, err := Checkup(context.Background(), d, CheckupInput{SkipProbe: true})
	if err != nil || len(long.Servers) < 512 {
		t.Fatalf("%v, %d servers", err, len(long.Servers))
	}
	long.Files = append(long.Files, diagnose.FileFinding{File: "/x/<y>.json", Finding: diagnose.Finding{Summary: "a & b"}})
	long.Searched = []registry.Location{{Client: "cursor", Scope: "user", Path: "/h/.cursor/mcp.json"}, {Client: "zed", Exists: true}}
	long.Servers[1].Probe = &diagnose.ProbeSummary{Verdict: "ok", DurationMS: 1.5e-7, Notes: []string{"<n>"}}
	long.Servers[2].Findings = append(long.Servers[2].Findings, diagnose.Finding{Severity: diagnose.Error, Code: "c",
		Next: &diagnose.Action{Step: "s", Tool: "reset_server_auth", Arguments: map[string]any{"name": "x\u2028", "all": true, "n": 3}}})
	short := *long
	short.Servers = short.Servers[:3]
	for name, o := range map[string]*CheckupOutput{
		"long": long, "short": &short, "empty": {Servers: []diagnose.Report{}}, "nil": {},
	} {
		encodesLikeEncodingJSON(t, name, o)
	}
}

// TestCheckupEncodeEveryField: CheckupOutput.encode writes these members
// (and these counts); a field added to the types must be added there (and
// here).
func TestCheckupEncodeEveryField(t *testing.T) {
	for typ, want := range map[reflect.Type][]string{
		reflect.TypeFor[CheckupOutput](): {"Status status", "Servers servers", "Files files,omitempty", "Counts counts", "Searched searched,omitempty", "At at"},
		reflect.TypeFor[CheckupCounts](): {"Servers servers", "OK ok", "Warning warning", "Error error"},
	} {
		if tags := fieldTags(typ); !slices.Equal(tags, want) {
			t.Errorf("%s's fields are %q; encode writes %q: teach it the new ones", typ, tags, want)
		}
	}
}

// fieldTags lists a struct's fields as "Name tag".
func fieldTags(typ reflect.Type) []string {
	var tags []string
	for i := range typ.NumField() {
		f := typ.Field(i)
		tags = append(tags, f.Name+" "+f.Tag.Get("json"))
	}
	return tags
}

// TestWriteListServersJSON: `list --json`'s path, which summarises the
// states while the servers are written, prints exactly ListServers's
// output through WriteJSON — for a long list (its states split across two
// cores), a filtered one, one with nothing listed — and fails as it does.
func TestWriteListServersJSON(t *testing.T) {
	d := scalingHome(t, 1000) // 3,000 servers: more states than parallelStates
	for _, in := range []ListServersInput{{}, {Name: "linear"}, {Client: registry.Cursor}, {Name: "no-such-server"}} {
		out, err := ListServers(context.Background(), d, in)
		if err != nil {
			t.Fatal(err)
		}
		if in == (ListServersInput{}) && len(out.States) < 2048 {
			t.Fatalf("only %d states: the test wants them encoded on two cores", len(out.States))
		}
		var want, got bytes.Buffer
		if err := out.WriteJSON(&want); err != nil {
			t.Fatal(err)
		}
		if err := WriteListServersJSON(context.Background(), d, in, &got); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("%+v: WriteListServersJSON differs from ListServers + WriteJSON (%d vs %d bytes)", in, got.Len(), want.Len())
		}
	}
	_, wantErr := ListServers(context.Background(), d, ListServersInput{Client: "nope"})
	var b bytes.Buffer
	if err := WriteListServersJSON(context.Background(), d, ListServersInput{Client: "nope"}, &b); err == nil || err.Error() != wantErr.Error() || b.Len() > 0 {
		t.Errorf("bad client: err %v (want %v), wrote %q", err, wantErr, b.String())
	}
}
