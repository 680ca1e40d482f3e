package registry

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestServerCloneIsDeep fills every field of a Server that refers to
// memory (slices, pointers, maps, at any depth) and checks that the clone
// refers to its own: a field added to Server without a line in clone fails
// here.
func TestServerCloneIsDeep(t *testing.T) {
	var s Server
	fill(reflect.ValueOf(&s).Elem())
	c := s.clone()
	if !reflect.DeepEqual(&s, c) {
		t.Fatalf("clone differs:\n%+v\n%+v", s, *c)
	}
	shared(t, "Server", reflect.ValueOf(&s).Elem(), reflect.ValueOf(c).Elem())
}

// fill sets every field to a non-zero value, slices with one element.
func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i))
			}
		}
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(v.Index(0))
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem())
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(k)
		fill(e)
		v.SetMapIndex(k, e)
	case reflect.String:
		v.SetString("x")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64:
		v.SetInt(1)
	case reflect.Float64:
		v.SetFloat(1)
	}
}

// shared reports fields of a and b that point at the same memory.
func shared(t *testing.T, path string, a, b reflect.Value) {
	t.Helper()
	switch a.Kind() {
	case reflect.Struct:
		for i := range a.NumField() {
			if a.Type().Field(i).IsExported() {
				shared(t, path+"."+a.Type().Field(i).Name, a.Field(i), b.Field(i))
			}
		}
	case reflect.Slice, reflect.Pointer, reflect.Map:
		if a.Pointer() == b.Pointer() && !(a.Kind() == reflect.Slice && a.Cap() == 0) {
			t.Errorf("%s is shared between a server and its clone: copy it in clone", path)
			return
		}
		if a.Kind() == reflect.Slice {
			for i := range a.Len() {
				shared(t, path+"[]", a.Index(i), b.Index(i))
			}
		} else if a.Kind() == reflect.Pointer {
			shared(t, path, a.Elem(), b.Elem())
		}
	}
}

// TestServerMemo: the same entry in many projects gives servers equal to
// building each one, placed in its own project, and independent of each
// other.
func TestServerMemo(t *testing.T) {
	home := t.TempDir()
	entry := `{"command":"npx","args":["-y","tool","--token","sk-live-abcdefghijklmnop1234"],"env":{"K":"v"},"headers":{"X":"y"},"oauth":{"clientId":"c","scopes":["a"]}}`
	doc := `{"projects":{"/p/a":{"mcpServers":{"s":` + entry + `,"t":{"command":"${MISSING_VAR}"}}},"/p/b":{"mcpServers":{"s":` + entry + `,"t":{"command":"${MISSING_VAR}"}}}}}`
	if err := os.WriteFile(filepath.Join(home, ".claude.json"), []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	env := Env{Home: home, GOOS: "linux", Getenv: func(string) string { return "" }}
	inv := Discover(env)
	byProject := map[string][]Server{}
	for _, s := range inv.Servers {
		byProject[s.Project] = append(byProject[s.Project], s)
	}
	a, b := byProject["/p/a"], byProject["/p/b"]
	if len(a) != 2 || len(b) != 2 {
		t.Fatalf("servers: %+v", inv.Servers)
	}
	for i := range a {
		if a[i].Path == b[i].Path || a[i].Project == b[i].Project {
			t.Errorf("%s: both copies placed at %s", a[i].Name, a[i].Path)
		}
		x, y := a[i], b[i]
		x.Project, x.Path, x.WorkDir, x.WorkDirNote = "", "", "", ""
		y.Project, y.Path, y.WorkDir, y.WorkDirNote = "", "", "", ""
		if !reflect.DeepEqual(x, y) {
			t.Errorf("%s differs between projects:\n%+v\n%+v", a[i].Name, x, y)
		}
	}
	shared(t, "a[0]", reflect.ValueOf(a[0]), reflect.ValueOf(b[0]))
	// built without the memo, the same
	d := &ccDiscovery{env: env, settings: newSettingsReader(), seen: map[string]bool{}}
	m, _ := readClaudeMain(env, filepath.Join(home, ".claude.json"), nil)
	for _, dir := range []string{"/p/a", "/p/b"} {
		want := d.prepare(projectContext(m.project(dir)), filepath.Join(home, ".claude.json"), nil).local
		memo := serverMemo{}
		d.prepare(projectContext(m.project("/p/a")), filepath.Join(home, ".claude.json"), memo) // fills the memo
		got := d.prepare(projectContext(m.project(dir)), filepath.Join(home, ".claude.json"), memo).local
		for i := range want {
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Errorf("%s %s: from the memo\n%+v\nbuilt\n%+v", dir, want[i].Name, *got[i].Server, *want[i].Server)
			}
		}
	}
}
