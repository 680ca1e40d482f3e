package registry

// Helpers shared by the tests of the non-Claude-Code clients. Names start
// with "oc" so they cannot collide with other tests in the package.

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

// ocHome returns the absolute path of a fixture directory under testdata.
func ocHome(t *testing.T, elem ...string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join(append([]string{"testdata"}, elem...)...))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// ocEnv is an Env on a fixture home with a fake environment: no variable of
// the real process leaks into a test.
func ocEnv(home, cwd, goos string, vars map[string]string) Env {
	return Env{Home: home, CWD: cwd, GOOS: goos, Getenv: func(k string) string { return vars[k] }}.withDefaults()
}

// ocLine summarises a server in one comparable line:
// "name scope transport target env=[…] hdr=[…] state problems", with the
// fixture directory base shown as T.
func ocLine(s Server, base string) string {
	target := s.URL
	if s.Transport == Stdio {
		target = strings.TrimSpace(s.Command + " " + strings.Join(s.Args, " "))
	}
	state := "effective"
	if !s.Effective {
		state = "ignored"
		if s.ShadowedBy != "" {
			state = "shadowed by " + ocRel(s.ShadowedBy, base)
		}
	}
	if s.Disabled {
		state += ",disabled"
	}
	line := fmt.Sprintf("%s %s %s %s env=%v hdr=%v %s", s.Name, s.Scope, s.Transport, target, s.EnvNames, s.HeaderNames, state)
	for _, p := range s.Problems {
		line += " | " + ocRel(p, base)
	}
	return line
}

// ocRel shows the fixture directory base in v as T, with forward slashes on
// every OS so one expectation serves Windows too.
func ocRel(v, base string) string { return filepath.ToSlash(strings.ReplaceAll(v, base, "T")) }

// ocLines summarises servers in Discover's order.
func ocLines(servers []Server, base string) []string {
	sortServers(servers)
	out := make([]string, len(servers))
	for i, s := range servers {
		out[i] = ocLine(s, base)
	}
	return out
}

// ocProblemLines summarises file problems, the fixture directory base shown as T.
func ocProblemLines(problems []Problem, base string) []string {
	var out []string
	for _, p := range problems {
		out = append(out, fmt.Sprintf("%s:%d:%d %s", ocRel(p.File, base), p.Line, p.Column, p.Message))
	}
	return out
}

// ocCompare fails with both lists when got and want differ.
func ocCompare(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\ngot:\n  %s\nwant:\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// ocNoCanary fails when a canary secret shows in any printed form of v: its
// JSON, and fmt's %v, %+v and %#v.
func ocNoCanary(t *testing.T, v any) {
	t.Helper()
	js, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	for _, form := range []string{string(js), fmt.Sprintf("%v", v), fmt.Sprintf("%+v", v), fmt.Sprintf("%#v", v)} {
		if i := strings.Index(form, "CANARY"); i >= 0 {
			t.Errorf("a canary secret leaked: …%s…", form[max(0, i-80):min(len(form), i+40)])
		}
	}
}

// ocPathFinds checks that each JSON server's Path, read with gjson from its
// file (comments stripped), gives back exactly the entry: Path is what a
// later editor will use to find it.
func ocPathFinds(t *testing.T, servers []Server) {
	t.Helper()
	for _, s := range servers {
		data, err := os.ReadFile(s.File)
		if err != nil {
			t.Fatal(err)
		}
		if got := gjson.GetBytes(stripJSONC(data), s.Path).Raw; got != s.Raw.Entry {
			t.Errorf("%s: path %q finds %q, want the entry %q", s.ID(), s.Path, got, s.Raw.Entry)
		}
	}
}

// ocRaw returns the unredacted header and env values of a server, for checks
// that the secrets were read (they must be, to dial the server).
func ocRaw(s Server) map[string]string {
	out := map[string]string{"url": s.Raw.URL.Reveal()}
	for _, h := range s.Raw.Headers {
		out["header "+h.Name] = h.Value.Reveal()
	}
	for _, e := range s.Raw.Env {
		out["env "+e.Name] = e.Value.Reveal()
	}
	for i, a := range s.Raw.Args {
		out[fmt.Sprintf("arg %d", i)] = a.Reveal()
	}
	return out
}

// ocServer returns the server with this name and scope.
func ocServer(t *testing.T, servers []Server, name, scope string) Server {
	t.Helper()
	for _, s := range servers {
		if s.Name == name && s.Scope == scope {
			return s
		}
	}
	t.Fatalf("no %s server %q", scope, name)
	return Server{}
}

// ocCat returns a new list of base followed by more.
func ocCat(base []string, more ...string) []string {
	return append(append([]string{}, base...), more...)
}
