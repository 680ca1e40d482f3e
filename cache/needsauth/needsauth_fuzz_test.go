package needsauth

import (
	"testing"

	"github.com/mcpmend/mcpmend/cache/internal/storetest"
)

// FuzzNeedsAuth feeds arbitrary bytes to the needs-auth cache parser: it
// never panics, a parse error is a reason and never an empty result, and
// every parsed entry can be judged.
func FuzzNeedsAuth(f *testing.F) {
	f.Add([]byte(`{"srv":{"timestamp":1795709926237}}`))
	f.Add([]byte(`{"srv":{"timestamp":1795709926237,"ttlMs":14400000,"id":"x"},"b":{"timestamp":"x"},"c":null}`))
	f.Add([]byte(`{"srv":{"timestamp":1e400}}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(``))
	srv := storetest.ClaudeServer(f, "srv", `{"type":"http","url":"http://x/mcp"}`)
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := Parse(data)
		if err != nil {
			if entries != nil || err.Error() == "" {
				t.Fatalf("error %v with entries %v", err, entries)
			}
			return
		}
		for _, e := range entries {
			active, until, why := e.Judge(srv, storetest.Now)
			if why == "" || active && (until == nil || e.Problem != "") {
				t.Fatalf("entry %+v judged active=%v until=%v why=%q", e, active, until, why)
			}
		}
	})
}
