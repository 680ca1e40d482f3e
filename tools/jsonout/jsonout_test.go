package jsonout

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mcpmend/mcpmend/cache"
	"github.com/mcpmend/mcpmend/registry"
	"github.com/mcpmend/mcpmend/tools/diagnose"
)

// hostile are strings encoding/json escapes in every way it has: quotes
// and backslashes, each control character, HTML's <>&, U+2028 and U+2029,
// invalid and truncated UTF-8, DEL and C1 controls (left as they are), and
// plain and multi-byte text around them.
var hostile = []string{
	"", "plain", `quote " and \ backslash`, "\x00\x01\x07\b\t\n\v\f\r\x1b\x1f", "<script>a && b</script>",
	"line\u2028sep\u2029par", "bad \xff byte", "truncated \xe2\x80", "\xed\xa0\x80 surrogate", "del \x7f c1 \u0080\u009b",
	"ünïcode ✓ 🙂", "\u2027\u202a\u202e\u2030", "/tmp/x/.claude.json", "\xc0\xaf overlong", "end \xe2",
}

// marshal is encoding/json's encoding of v: json.Marshal, or what a
// json.Encoder with SetIndent("", "  ") writes.
func marshal(t testing.TB, v any, indent bool) string {
	t.Helper()
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	if indent {
		e.SetIndent("", "  ")
	}
	if err := e.Encode(v); err != nil {
		t.Fatal(err)
	}
	if !indent {
		return strings.TrimSuffix(b.String(), "\n")
	}
	return b.String()
}

// encode is this package's encoding of v (one of the types it knows).
func encode(t testing.TB, v any, indent bool) string {
	t.Helper()
	w := Append(nil, indent)
	switch v := v.(type) {
	case *registry.Server:
		w.Server(v)
	case *registry.OAuth:
		w.OAuth(v)
	case *registry.Problem:
		w.Problem(v)
	case *cache.Summary:
		w.Summary(v)
	case map[string]cache.Summary:
		w.States(v)
	case *diagnose.Report:
		w.Report(v)
	case *diagnose.FileFinding:
		w.FileFinding(v)
	case *cache.Session:
		w.Session(v)
	case *registry.Location:
		w.Location(v)
	case *diagnose.ProbeSummary:
		w.probe(v)
	case []string:
		w.Strings(v)
	case string:
		w.String(v)
	default:
		t.Fatalf("no encoder for %T", v)
	}
	if err := w.Err(); err != nil {
		t.Fatal(err)
	}
	if indent {
		w.Raw("\n")
	}
	return string(w.Bytes())
}

// same fails unless both encoders give the same bytes for v, compact and
// indented.
func same(t testing.TB, what string, v any) {
	t.Helper()
	for _, indent := range []bool{false, true} {
		if got, want := encode(t, v, indent), marshal(t, v, indent); got != want {
			t.Fatalf("%s (indent %v): differs from encoding/json %s", what, indent, diff(got, want))
		}
	}
}

// diff shows where got first departs from want.
func diff(got, want string) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	from := max(0, i-80)
	return fmt.Sprintf("at byte %d of %d (want %d):\n got …%q\nwant …%q", i, len(got), len(want), got[from:min(len(got), i+80)], want[from:min(len(want), i+80)])
}

func TestStrings(t *testing.T) {
	for _, s := range hostile {
		same(t, fmt.Sprintf("%q", s), s)
	}
	same(t, "all hostile", hostile)
	same(t, "empty slice", []string{})
	same(t, "nil slice", []string(nil))
	for b := range 256 { // every byte alone and in a rune's place
		same(t, fmt.Sprintf("byte %#x", b), string([]byte{byte(b)}))
		same(t, fmt.Sprintf("byte %#x in text", b), "a"+string([]byte{byte(b)})+"é")
	}
}

// filler sets every field of a value by reflection, so that a field added
// to an encoded type is encoded by encoding/json and shows up as a
// difference unless the encoder writes it too. empty sets pointers to zero
// values and slices and maps to empty ones instead (what omitempty leaves
// out, or keeps as {}).
type filler struct {
	t     testing.TB
	n     int
	empty bool
}

func (f *filler) fill(v reflect.Value) {
	f.n++
	switch v.Kind() {
	case reflect.String:
		v.SetString(hostile[f.n%len(hostile)] + fmt.Sprint(f.n))
	case reflect.Int:
		v.SetInt(int64(f.n*7919) - 3)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Float64:
		v.SetFloat(float64(f.n) * []float64{1.5e-7, 0.25, 3e21}[f.n%3])
	case reflect.Interface: // a tool argument: a string, a number or a flag
		v.Set(reflect.ValueOf([]any{hostile[f.n%len(hostile)], f.n, true}[f.n%3]))
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		if !f.empty {
			f.fill(v.Elem())
		}
	case reflect.Slice:
		n := 3
		if f.empty {
			n = 0
		}
		v.Set(reflect.MakeSlice(v.Type(), n, n))
		for i := range n {
			f.fill(v.Index(i))
		}
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		for i := 0; i < 3 && !f.empty; i++ {
			k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
			f.fill(k)
			f.fill(e)
			v.SetMapIndex(k, e)
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Date(2026, 12, 7, 3, 4, 5, 123456000+f.n, time.FixedZone("", -(f.n%24)*3600))))
			return
		}
		for i := range v.NumField() {
			if fd := v.Type().Field(i); fd.IsExported() && fd.Tag.Get("json") != "-" {
				f.fill(v.Field(i))
			}
		}
	default:
		f.t.Fatalf("%s: a kind of field the test cannot fill; teach filler (and the encoder) about it", v.Type())
	}
}

// TestEveryField: for each encoded type, each exported field set alone,
// every field set, every field empty and the zero value encode as
// encoding/json encodes them. A field added to registry.Server, OAuth,
// Problem, Location, cache.Summary, or to a checkup report and what it holds
// (diagnose.Report, Finding, Action, FileFinding, ProbeSummary,
// probe.ServerInfo, cache.Session,
// ActiveGate, ClientVerdict) — or a json tag changed — that the encoder
// does not follow fails here.
func TestEveryField(t *testing.T) {
	for _, v := range []any{&registry.Server{}, &registry.OAuth{}, &registry.Problem{}, &cache.Summary{},
		&diagnose.Report{}, &diagnose.FileFinding{}, &cache.Session{}, &registry.Location{}, &diagnose.ProbeSummary{}} {
		typ := reflect.TypeOf(v).Elem()
		same(t, typ.Name()+" zero", v)
		for _, empty := range []bool{false, true} {
			all := reflect.New(typ)
			(&filler{t: t, empty: empty}).fill(all.Elem())
			same(t, fmt.Sprintf("%s every field (empty %v)", typ.Name(), empty), all.Interface())
			for i := range typ.NumField() {
				one := reflect.New(typ)
				if fd := typ.Field(i); fd.IsExported() && fd.Tag.Get("json") != "-" {
					(&filler{t: t, n: i, empty: empty}).fill(one.Elem().Field(i))
					same(t, fmt.Sprintf("%s.%s alone (empty %v)", typ.Name(), fd.Name, empty), one.Interface())
				}
			}
		}
	}
	// Raw is never encoded, however full.
	s := &registry.Server{Name: "n"}
	(&filler{t: t}).fill(reflect.ValueOf(&s.Raw).Elem())
	same(t, "Server with Raw", s)
}

// TestStates: maps of summaries, small and large enough to be encoded on
// two cores, with keys that sort differently once escaped.
func TestStates(t *testing.T) {
	for _, n := range []int{0, 1, 5, parallelStates + 7} {
		m := map[string]cache.Summary{}
		f := &filler{t: t}
		for i := range n {
			var s cache.Summary
			if i%3 != 0 {
				f.fill(reflect.ValueOf(&s).Elem())
			}
			m[hostile[i%len(hostile)]+fmt.Sprint(i)] = s
		}
		same(t, fmt.Sprintf("%d states", n), m)
		w := Stream(new(bytes.Buffer), true)
		w.BeginObject()
		p := w.StartStates(m)
		w.Key("servers")
		w.Null()
		w.Key("states")
		p.Write(w)
		w.EndObject()
		w.Raw("\n")
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		want := marshal(t, struct {
			Servers []int                    `json:"servers"`
			States  map[string]cache.Summary `json:"states"`
		}{nil, m}, true)
		if got := w.w.(*bytes.Buffer).String(); got != want {
			t.Fatalf("%d states after another member: differs from encoding/json %s", n, diff(got, want))
		}
	}
	same(t, "nil states", map[string]cache.Summary(nil))
}

// TestTimes: what time.Time's MarshalJSON writes (nanoseconds trimmed,
// zones), and the times it refuses are an error here too.
func TestTimes(t *testing.T) {
	for _, tm := range []time.Time{
		{}, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), time.Date(2026, 1, 2, 3, 4, 5, 120000000, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 1, time.FixedZone("", 23*3600+59*60)), time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.FixedZone("", -5*3600)),
		time.Date(2026, 6, 1, 0, 0, 0, 0, time.FixedZone("", 30)), // seconds in the offset: dropped by RFC 3339
	} {
		same(t, tm.String(), &cache.Summary{Until: &tm})
	}
	for _, tm := range []time.Time{
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", 24*3600)), time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", -25*3600)),
	} {
		if _, err := json.Marshal(&cache.Summary{Until: &tm}); err == nil {
			t.Fatalf("%v: encoding/json takes it; the test expects a refusal", tm)
		}
		w := Append(nil, true)
		w.Summary(&cache.Summary{Until: &tm})
		if w.Err() == nil {
			t.Errorf("%v: no error, wrote %s", tm, w.Bytes())
		}
	}
}

// TestFloats: a probe's duration is written as encoding/json writes a
// float64 (shortest form, exponents past its cutoffs, e-7 not e-07), and
// NaN and infinities are refused as it refuses them.
func TestFloats(t *testing.T) {
	for _, x := range []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 1.5, 123456789, 1e-6, 9.99999e-7, 1e-7, 1.5e-7, 1e20, 1e21, 1.2345e21, -1e-300, math.MaxFloat64,
		math.SmallestNonzeroFloat64, 1e100, 12.75, 1 / 3.0} {
		same(t, fmt.Sprint(x), &diagnose.ProbeSummary{DurationMS: x})
	}
	for _, x := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		w := Append(nil, false)
		w.Float(x)
		if _, err := json.Marshal(x); err == nil || w.Err() == nil {
			t.Errorf("%v: encoding/json error %v, ours %v: want both", x, err, w.Err())
		}
	}
}

// chunkWriter records every Write, and fails after failAfter of them.
type chunkWriter struct {
	writes    []int
	out       bytes.Buffer
	failAfter int
}

var errFull = errors.New("disk full")

func (c *chunkWriter) Write(p []byte) (int, error) {
	if c.failAfter > 0 && len(c.writes) >= c.failAfter {
		return 0, errFull
	}
	c.writes = append(c.writes, len(p))
	return c.out.Write(p)
}

// TestStream: a large output goes out in chunks that together are the
// whole, and a failing writer's error is returned, with nothing written
// after it and the buffer not growing past a chunk.
func TestStream(t *testing.T) {
	servers := make([]registry.Server, 2000)
	for i := range servers {
		(&filler{t: t, n: i}).fill(reflect.ValueOf(&servers[i]).Elem())
	}
	encodeAll := func(w *Writer) {
		w.BeginArray()
		for i := range servers {
			w.Elem()
			w.Server(&servers[i])
		}
		w.EndArray()
		w.Raw("\n")
	}
	c := &chunkWriter{}
	w := Stream(c, true)
	encodeAll(w)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if want := marshal(t, servers, true); c.out.String() != want {
		t.Fatalf("streamed output differs from encoding/json %s", diff(c.out.String(), want))
	}
	if len(c.writes) < 10 || c.writes[0] < chunk || c.writes[0] > chunk+4096 {
		t.Errorf("writes %v: want chunks of about %d bytes", c.writes, chunk)
	}
	c = &chunkWriter{failAfter: 2}
	w = Stream(c, true)
	encodeAll(w)
	if err := w.Flush(); !errors.Is(err, errFull) || len(c.writes) != 2 || cap(w.buf) > 2*chunk {
		t.Errorf("after a failed write: err %v, %d writes, buffer %d bytes", err, len(c.writes), cap(w.buf))
	}
}

// TestElems: an array encoded on every core by Elems is the array
// encoding/json writes, compact, indented and streamed, long or short,
// from its first member or after one written before, with a failure in a
// member reported.
func TestElems(t *testing.T) {
	servers := make([]registry.Server, 3*parallelMin+5)
	for i := range servers {
		(&filler{t: t, n: i}).fill(reflect.ValueOf(&servers[i]).Elem())
	}
	for _, n := range []int{0, 1, parallelMin - 1, len(servers)} {
		for _, indent := range []bool{false, true} {
			for _, before := range []bool{false, true} {
				c := &chunkWriter{}
				w := Stream(c, indent)
				w.BeginArray()
				from := 0
				if before && n > 0 {
					w.Elem()
					w.Server(&servers[0])
					from = 1
				}
				w.Elems(n-from, func(w *Writer, i int) {
					w.Elem()
					w.Server(&servers[from+i])
				})
				w.EndArray()
				if indent {
					w.Raw("\n")
				}
				if err := w.Flush(); err != nil {
					t.Fatal(err)
				}
				if want := marshal(t, servers[:n], indent); c.out.String() != want {
					t.Fatalf("%d servers (indent %v, one before %v): %s", n, indent, before, diff(c.out.String(), want))
				}
			}
		}
	}
	w := Append(nil, true)
	bad := time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	w.BeginArray()
	w.Elems(2*parallelMin, func(w *Writer, i int) {
		w.Elem()
		s := cache.Summary{}
		if i == parallelMin+3 {
			s.Until = &bad
		}
		w.Summary(&s)
	})
	w.EndArray()
	if w.Err() == nil {
		t.Error("a member's error in a batch on another core was lost")
	}
}

// FuzzString: any string is quoted as encoding/json quotes it.
func FuzzString(f *testing.F) {
	for _, s := range hostile {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := appendString(nil, s); string(got) != string(want) {
			t.Fatalf("%q: got %s, want %s", s, got, want)
		}
	})
}

// FuzzServer: a server (and its OAuth settings, a problem, a summary and a
// checkup report) built from arbitrary strings and numbers, with each
// field set or not by a bit of mask, encodes as encoding/json encodes it,
// compact and indented.
func FuzzServer(f *testing.F) {
	f.Add("github", "/home/u/<p>", "npx\u2028-y", "\xff\x00&", uint32(0xffffffff), -1, 1.5e-7)
	f.Add("", "", "", "", uint32(0), 0, 0.0)
	f.Add("a", "b", "c", "d", uint32(0x5555aaaa), 1<<40, 1e21)
	f.Fuzz(func(t *testing.T, a, b, c, d string, mask uint32, n int, x float64) {
		if math.IsInf(x, 0) || math.IsNaN(x) {
			x = 0 // encoding/json refuses them; TestFloats checks the refusal
		}
		strs := []string{a, b, c, d}
		f := &fuzzFiller{strs: strs, mask: mask, n: n, x: x}
		for _, v := range []any{&registry.Server{}, &registry.Problem{}, &cache.Summary{}, &diagnose.Report{}, &diagnose.FileFinding{}} {
			f.fill(reflect.ValueOf(v).Elem())
			same(t, fmt.Sprintf("%T", v), v)
		}
		m := map[string]cache.Summary{a: {Session: b}, b: {Tokens: c}, c: {Gates: strs}, d: {Records: map[string]int{a: n, d: 1}}}
		same(t, "states", m)
	})
}

// fuzzFiller fills fields from the fuzzer's strings and number, each
// field set only when its bit of mask is.
type fuzzFiller struct {
	strs []string
	mask uint32
	n    int
	x    float64
	i    int
}

func (f *fuzzFiller) fill(v reflect.Value) {
	f.i++
	if f.mask&(1<<(f.i%32)) == 0 && v.Kind() != reflect.Struct {
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(f.strs[f.i%len(f.strs)])
	case reflect.Int:
		v.SetInt(int64(f.n + f.i))
	case reflect.Float64:
		v.SetFloat(f.x * float64(f.i%3))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Interface:
		v.Set(reflect.ValueOf([]any{f.strs[f.i%len(f.strs)], f.n, f.x, true}[f.i%4]))
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		f.fill(v.Elem())
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.String {
			v.Set(reflect.ValueOf(f.strs[:f.i%(len(f.strs)+1)]).Convert(v.Type()))
			return
		}
		n := f.i % 3
		v.Set(reflect.MakeSlice(v.Type(), n, n))
		for i := range n {
			f.fill(v.Index(i))
		}
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		for _, s := range f.strs[:f.i%(len(f.strs)+1)] {
			e := reflect.New(v.Type().Elem()).Elem()
			f.fill(e)
			v.SetMapIndex(reflect.ValueOf(s), e)
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Unix(int64(uint64(f.n)%(1<<37)), int64(f.i)).UTC()))
			return
		}
		for i := range v.NumField() {
			if fd := v.Type().Field(i); fd.IsExported() && fd.Tag.Get("json") != "-" {
				f.fill(v.Field(i))
			}
		}
	}
}
