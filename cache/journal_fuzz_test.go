package cache

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/mcpmend/mcpmend/cache/internal/storetest"
	"github.com/mcpmend/mcpmend/cache/journal"
)

// FuzzJournalEntry plants arbitrary bytes as a journal entry and reads it
// the way every command does — list it, load it, decode and scope-check each
// step with every real mutation kind and store registered — and never acts on
// it. The journal is data: nothing in it may panic the reader, and an entry
// whose steps pass Check must only name what the stores derive themselves.
func FuzzJournalEntry(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "journal-main", "journal", "*", "entry.json"))
	for _, p := range seeds {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"id":"x","steps":[{"kind":"file-delete","store":"mcp-remote","spec":{"path":"/etc/passwd"}}]}`))
	f.Add([]byte(`{"steps":[{"kind":"nope"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		home := t.TempDir()
		env := storetest.Env(home)
		j := journal.Open(env, nil)
		dir := filepath.Join(j.Dir, "20261206T000000Z-000001")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(j.Dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "entry.json"), b, 0o600); err != nil {
			t.Fatal(err)
		}
		entries, damaged, err := j.ListAll()
		if err != nil {
			t.Fatalf("ListAll: %v", err)
		}
		if len(entries)+len(damaged) != 1 {
			t.Fatalf("one planted entry gave %d entries and %d damaged", len(entries), len(damaged))
		}
		for _, e := range entries {
			_ = e.Pending()
			_ = j.Check(e)
		}
	})
}
