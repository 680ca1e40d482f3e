package registry

// Helpers of the Claude Code tests. Names start with "cc" so they cannot
// collide with other tests in the package.

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

// ccRootMark stands for the fixture's own directory in fixture files:
// ~/.claude.json keys projects by absolute path, so fixtures are copied to a
// temporary directory with the mark replaced.
const ccRootMark = "@ROOT@"

// ccMarkRE matches the mark with the path that follows it, so the path gets
// this OS's separators (Claude Code keys projects by the native path).
var ccMarkRE = regexp.MustCompile(regexp.QuoteMeta(ccRootMark) + `(/[^"'\s/]+)*`)

// ccNative is v with the mark replaced by root and its path made native.
func ccNative(v, root string) string {
	return ccMarkRE.ReplaceAllStringFunc(v, func(m string) string {
		return root + filepath.FromSlash(strings.TrimPrefix(m, ccRootMark))
	})
}

// ccRel shows root in v as R, with forward slashes on every OS so one
// expectation serves Windows too.
func ccRel(v, root string) string { return filepath.ToSlash(strings.ReplaceAll(v, root, "R")) }

// ccFixture copies testdata/claudecode/<name> to a temporary directory and
// returns it.
func ccFixture(t testing.TB, name string) string {
	t.Helper()
	src := filepath.Join("testdata", "claudecode", name)
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	root = filepath.Join(root, name)
	jsonRoot := strings.ReplaceAll(root, `\`, `\\`)
	jsonSep := strings.ReplaceAll(string(filepath.Separator), `\`, `\\`)
	err = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		dst := filepath.Join(root, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, []byte(ccMarkRE.ReplaceAllStringFunc(string(data), func(m string) string {
			return jsonRoot + strings.ReplaceAll(strings.TrimPrefix(m, ccRootMark), "/", jsonSep)
		})), 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// ccEnv is an Env on a fixture: home is root/home, the environment is vars
// only, and the enterprise directory is root/managed only when asked for
// (else a directory that does not exist, so the machine's own policy never
// leaks into a test).
func ccEnv(root, cwd string, vars map[string]string) Env {
	all := map[string]string{ManagedDirVar: filepath.Join(root, "no-managed-dir")}
	for k, v := range vars {
		all[k] = ccNative(v, root)
	}
	return Env{Home: filepath.Join(root, "home"), CWD: cwd, GOOS: "linux", Getenv: func(k string) string { return all[k] }}
}

// ccLine summarises a server in one comparable line with the fixture root
// shown as R: "name scope(project) transport target env=[…] hdr=[…]
// approval state | problems".
func ccLine(s Server, root string) string {
	r := func(v string) string { return ccRel(v, root) }
	target := s.URL
	if s.Transport == Stdio {
		target = strings.TrimSpace(s.Command + " " + strings.Join(s.Args, " "))
	}
	scope := s.Scope
	if s.Project != "" {
		scope += "(" + r(s.Project) + ")"
	}
	state := "effective"
	if !s.Effective {
		state = "ignored"
		if s.ShadowedBy != "" {
			state = "shadowed by " + r(s.ShadowedBy)
		}
	}
	if s.Disabled {
		state += ",disabled"
	}
	if s.Approval != "" {
		state = s.Approval + " " + state
	}
	line := fmt.Sprintf("%s %s %s %s env=%v hdr=%v %s", s.Name, scope, s.Transport, target, s.EnvNames, s.HeaderNames, state)
	if r(s.File) != s.File {
		line += " @" + r(s.File)
	}
	for _, p := range s.Problems {
		line += " | " + r(p)
	}
	return line
}

// ccLines summarises servers in Discover's order.
func ccLines(servers []Server, root string) []string {
	sortServers(servers)
	out := make([]string, len(servers))
	for i, s := range servers {
		out[i] = ccLine(s, root)
	}
	return out
}

// ccProblemLines summarises file problems with the fixture root shown as R.
func ccProblemLines(problems []Problem, root string) []string {
	var out []string
	for _, p := range problems {
		line := fmt.Sprintf("%s:%d:%d", ccRel(p.File, root), p.Line, p.Column)
		if p.Server != "" {
			line += " (" + p.Server + ")"
		}
		out = append(out, line+" "+ccRel(p.Message, root))
	}
	return out
}

// ccCompare fails with both lists, one item a line, when they differ.
func ccCompare(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\ngot:\n\t%s\nwant:\n\t%s", what, strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}

// ccPathFinds checks that each server's Path, read with gjson from its
// file, gives back exactly the entry: Path is what a later editor uses.
func ccPathFinds(t *testing.T, servers []Server) {
	t.Helper()
	for _, s := range servers {
		data, err := os.ReadFile(s.File)
		if err != nil {
			t.Fatal(err)
		}
		if got := gjson.GetBytes(data, s.Path).Raw; got != s.Raw.Entry {
			t.Errorf("%s: path %q finds %q, want the entry %q", s.ID(), s.Path, got, s.Raw.Entry)
		}
	}
}

// ccServer returns the server with this name, scope and file.
func ccFind(t *testing.T, servers []Server, name, scope, file string) Server {
	t.Helper()
	for _, s := range servers {
		if s.Name == name && s.Scope == scope && (file == "" || s.File == file) {
			return s
		}
	}
	t.Fatalf("no %s server %q in %s", scope, name, file)
	return Server{}
}
