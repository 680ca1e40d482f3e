package mutation

import (
	"bytes"
	"slices"
	"testing"

	"github.com/mcpmend/mcpmend/internal/jsonedit"
)

// byteCounts is the multiset of b's bytes.
func byteCounts(b []byte) [256]int {
	var c [256]int
	for _, x := range b {
		c[x]++
	}
	return c
}

// TestRemovedRunsHoldOnlyRemovedBytes: for deletions whose edges repeat
// the neighbours' bytes (keys sharing a prefix, equal values), the splices
// rebuild the document exactly and hold, byte for byte as a multiset,
// exactly the bytes the deletions removed — nothing of a kept member.
func TestRemovedRunsHoldOnlyRemovedBytes(t *testing.T) {
	for _, tc := range []struct {
		doc  string
		keys [][]string
	}{
		{`{"a":1,"a2":1,"a22":1}`, [][]string{{"a"}, {"a22"}}},
		{`{"x":{"k":"v"},"x":{"k":"v"}}`, [][]string{{"x"}}},
		{`{"mcpOAuth":{"s|1":{"t":"A"},"s|11":{"t":"SECRET"}},"c":{"s|1":{}}}`, [][]string{{"mcpOAuth", "s|1"}, {"c", "s|1"}}},
		{`{"only":{"z":1}}`, [][]string{{"only"}}},
		{"{\n  \"a\": 1,\n  \"b\": 2\n}", [][]string{{"b"}}},
	} {
		var targets []JSONTarget
		for _, k := range tc.keys {
			raw, ok, _ := jsonedit.Get([]byte(tc.doc), k)
			if !ok {
				continue
			}
			targets = append(targets, JSONTarget{Path: k, Hash: HashBytes(raw)})
		}
		out, splices, err := deleteTargets([]byte(tc.doc), targets, "doc")
		if err != nil || splices == nil {
			t.Fatalf("%s: %v, splices %v", tc.doc, err, splices)
		}
		got, ok := rebuild(out, splices)
		if !ok || !bytes.Equal(got, []byte(tc.doc)) {
			t.Fatalf("%s: rebuilt %q", tc.doc, got)
		}
		// The multiset of the splices' bytes is exactly what went.
		var text []byte
		for _, sp := range splices {
			text = append(text, sp.Text...)
		}
		pre, post := byteCounts([]byte(tc.doc)), byteCounts(out)
		for i := range pre {
			pre[i] -= post[i]
		}
		if byteCounts(text) != pre {
			t.Errorf("%s: splices %q hold other bytes than the removed ones", tc.doc, text)
		}
		if slices.ContainsFunc(splices, func(sp splice) bool { return bytes.Contains([]byte(sp.Text), []byte("SECRET")) }) {
			t.Errorf("%s: a kept member's value is in a splice: %v", tc.doc, splices)
		}
	}
}

// FuzzRemovedRuns: for any JSON object and any of its top-level or
// second-level keys, deleting them gives splices that rebuild the document
// exactly and hold only the removed bytes — or none at all.
func FuzzRemovedRuns(f *testing.F) {
	f.Add(`{"a":1,"a2":1}`, "a", "")
	f.Add(`{"mcpOAuth":{"s|1":{"t":"A"},"s|11":{"t":"B"}},"claudeAiOauth":{"accessToken":"C"}}`, "mcpOAuth", "s|1")
	f.Add("{\n  \"x\": [1, 2],\n  \"y\": {}\n}", "y", "")
	f.Fuzz(func(t *testing.T, doc, k1, k2 string) {
		path := jsonedit.Path{k1}
		if k2 != "" {
			path = append(path, k2)
		}
		raw, ok, err := jsonedit.Get([]byte(doc), path)
		if err != nil || !ok || (&JSONDelete{}).parses([]byte(doc)) != nil {
			return
		}
		out, splices, err := deleteTargets([]byte(doc), []JSONTarget{{Path: path, Hash: HashBytes(raw)}}, "doc")
		if err != nil || splices == nil {
			return
		}
		got, ok := rebuild(out, splices)
		if !ok || !bytes.Equal(got, []byte(doc)) {
			t.Fatalf("rebuilt %q from %q, want %q", got, out, doc)
		}
		pre, post := byteCounts([]byte(doc)), byteCounts(out)
		for i := range pre {
			pre[i] -= post[i]
		}
		if byteCounts([]byte(splices[0].Text)) != pre {
			t.Fatalf("splice %q holds other bytes than the removed ones (%q → %q)", splices[0].Text, doc, out)
		}
	})
}
