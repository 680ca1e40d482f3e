package jsonedit

import (
	"testing"
)

// FuzzMemberEdits: on any document SetMember and DeleteMember never panic,
// and whatever they return holds the intended change (read back here with
// GetMember, independently of the check inside them).
func FuzzMemberEdits(f *testing.F) {
	for _, s := range []string{
		"{}", "{\"mcpServers\": {}}", "// c\n{\n  \"mcpServers\": {\n    \"a\": 1, // x\n  },\n}\n",
		"{\"mcpServers\": {\"mcpmend\": 1, \"b\": [1, {\"c\": \"}\"}]}}", "\xef\xbb\xbf{\r\n\"a\":/*x*/1\r\n}",
		"{\"mcpServers\": {\"mcpmend\": {}, \"mcpmend\": 2}}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		if out, err := SetMember([]byte(doc), "mcpServers", "mcpmend", []byte(entry)); err == nil {
			if raw, ok, err := GetMember(out, "mcpServers", "mcpmend"); err != nil || !ok || len(raw) == 0 {
				t.Fatalf("set %q → %q: entry not readable (%v)", doc, out, err)
			}
			// A refusal (e.g. a duplicate key) is fine; a wrong result is not.
			back, err := DeleteMember(out, "mcpServers", "mcpmend")
			if _, ok, _ := GetMember(back, "mcpServers", "mcpmend"); err == nil && ok {
				t.Fatalf("delete left the entry: %q", back)
			}
		}
		if out, err := DeleteMember([]byte(doc), "mcpServers", "mcpmend"); err == nil {
			if _, ok, _ := GetMember(out, "mcpServers", "mcpmend"); ok {
				t.Fatalf("delete %q left the entry: %q", doc, out)
			}
		}
	})
}
