package registry

import (
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
)

// sortServers orders like a stable sort of the structs by (client rank,
// name, effective first, project, file) — what it did before it sorted
// indices — for every arrangement, duplicates included.
func TestSortServersIsAStableSort(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	pick := func(vs ...string) string { return vs[r.IntN(len(vs))] }
	for n := range 200 {
		s := make([]Server, n)
		for i := range s {
			s[i] = Server{Client: pick(ClaudeCode, ClaudeDesktop, Cursor, "unknown"), Name: pick("a", "b", "c"),
				Effective: r.IntN(2) == 0, Project: pick("", "/p", "/q"), File: pick("f", "g"), Command: string(rune('A' + i%50))}
		}
		want := slices.Clone(s)
		sort.SliceStable(want, func(i, j int) bool {
			a, b := want[i], want[j]
			if ra, rb := clientRank(a.Client), clientRank(b.Client); ra != rb {
				return ra < rb
			}
			if a.Name != b.Name {
				return a.Name < b.Name
			}
			if a.Effective != b.Effective {
				return a.Effective
			}
			if a.Project != b.Project {
				return a.Project < b.Project
			}
			return a.File < b.File
		})
		sortServers(s)
		for i := range s {
			if s[i].Client != want[i].Client || s[i].Name != want[i].Name || s[i].Command != want[i].Command ||
				s[i].Project != want[i].Project || s[i].File != want[i].File || s[i].Effective != want[i].Effective {
				t.Fatalf("n=%d: position %d is %+v, want %+v", n, i, s[i], want[i])
			}
		}
	}
}

func BenchmarkSortServers(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	base := make([]Server, 15000)
	for i := range base {
		base[i] = Server{Client: ClaudeCode, Name: []string{"github", "linear", "gateway"}[r.IntN(3)], Project: string(rune(r.IntN(5000)))}
	}
	s := make([]Server, len(base))
	for b.Loop() {
		copy(s, base)
		sortServers(s)
	}
}
