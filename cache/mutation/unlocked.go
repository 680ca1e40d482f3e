package mutation

import (
	"bytes"

	"github.com/tidwall/gjson"

	"github.com/mcpmend/mcpmend/internal/jsonedit"
	"github.com/mcpmend/mcpmend/internal/lockedfile"
)

// A JSONDelete without a lock (Claude Code's needs-auth cache, which Claude
// Code rewrites in place, unlocked) replaces its file with
// lockedfile.ReplaceUnlocked: the new content is swapped in and a write the
// owner made in between is found in what was swapped out and merged here,
// top-level key by key (the cache is one object of entries by server name):
//
//   - a key only the owner changed takes the owner's value; one only we
//     changed keeps ours (our removal, or the entry an undo puts back);
//   - a key the owner dropped is dropped only when it was in the file, with
//     that value, when the replacement began: a key that arrived during it
//     (an entry the undo puts back, or an owner's write merged a round
//     earlier) may simply not have been seen by an owner working from an
//     older read, and is kept — an entry is never lost to a merge;
//   - a key both changed keeps the entry with the newer numeric
//     "timestamp" (Claude Code stamps every needs-auth entry), else the
//     owner's; a planned removal is applied again when the owner wrote the
//     removed value back unchanged (a write from a read older than ours).

// replace writes data over the file read as snap: under the owner's lock
// with an atomic rename, or, for a file that has no lock, by exchange and
// merge. reapply re-applies this edit to a merged document (nil: nothing).
func (m *JSONDelete) replace(snap lockedfile.Snapshot, data []byte, check func() error, reapply func([]byte) ([]byte, error)) error {
	opt := m.writeOptions(&snap, check)
	if m.Lock != nil {
		return lockedfile.WriteFile(m.File, data, opt)
	}
	start := members(snap.Data)
	return lockedfile.ReplaceUnlocked(m.File, snap, data, opt, lockedfile.Unlocked{
		Complete: CompleteObject,
		Merge: func(base, theirs, ours lockedfile.Content) ([]byte, error) {
			return m.merge(start, base, theirs, ours, reapply)
		},
	})
}

// CompleteObject reports whether b is a whole JSON object: an owner that
// rewrites a file in place leaves it empty or short while it writes.
func CompleteObject(b []byte) bool { return gjson.ValidBytes(b) && gjson.ParseBytes(b).IsObject() }

// read reads the file; one without a lock, which its owner may be
// rewriting in place at this moment, is read until it is whole (briefly).
func (m *JSONDelete) read() (lockedfile.Snapshot, error) {
	if m.Lock != nil {
		return lockedfile.Read(m.File)
	}
	return lockedfile.ReadComplete(m.File, CompleteObject)
}

// reapplyRemoval removes again every target that holds its planned value.
func (m *JSONDelete) reapplyRemoval(doc []byte) ([]byte, error) {
	for _, t := range m.Targets {
		if raw, ok, err := jsonedit.Get(doc, t.Path); err == nil && ok && HashBytes(raw) == t.Hash {
			if doc, err = jsonedit.Delete(doc, t.Path); err != nil {
				return nil, err
			}
		}
	}
	return doc, nil
}

// merge folds the owner's change (theirs, found where base was expected)
// into ours by the rules above. Content that is not a JSON object (a write
// torn by a crash) holds nothing to keep and leaves ours as it is.
func (m *JSONDelete) merge(start map[string][]byte, base, theirs, ours lockedfile.Content, reapply func([]byte) ([]byte, error)) ([]byte, error) {
	if theirs.Exists && members(theirs.Data) == nil {
		return ours.Data, nil
	}
	b, t, o := members(base.Data), members(theirs.Data), members(ours.Data)
	doc := ours.Data
	var err error
	for _, k := range union(t, b) {
		bv, inB := b[k]
		tv, inT := t[k]
		ov, inO := o[k]
		switch {
		case same(tv, inT, bv, inB), inT && same(tv, inT, ov, inO):
			continue // the owner did not change it, or made the same change
		case !inT && (!same(ov, inO, bv, inB) || !same(start[k], hasKey(start, k), bv, inB)):
			continue // dropped by an owner that may not have seen it: kept
		case !inT:
			doc, err = jsonedit.Delete(doc, jsonedit.Path{k})
		case inO && !same(ov, inO, bv, inB) && stamp(ov) > stamp(tv):
			continue // both wrote it; ours is the newer entry
		default:
			doc, err = jsonedit.SetRaw(doc, jsonedit.Path{k}, tv)
		}
		if err != nil {
			return nil, err
		}
	}
	if reapply != nil {
		if doc, err = reapply(doc); err != nil {
			return nil, err
		}
	}
	return jsonedit.Format(ours.Data, doc, m.Style), nil
}

// members indexes a JSON object's members by key (the last of duplicate
// keys, as JavaScript reads them), each value compacted; nil when data is
// not an object. A missing file is the empty object.
func members(data []byte) map[string][]byte {
	if data == nil {
		return map[string][]byte{}
	}
	if !gjson.ValidBytes(data) {
		return nil
	}
	top := gjson.ParseBytes(data)
	if !top.IsObject() {
		return nil
	}
	out := map[string][]byte{}
	top.ForEach(func(k, v gjson.Result) bool {
		out[k.String()] = compact([]byte(v.Raw))
		return true
	})
	return out
}

// union lists the keys of both maps.
func union(a, b map[string][]byte) []string {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	return keys
}

func hasKey(m map[string][]byte, k string) bool { _, ok := m[k]; return ok }

// same compares two optional values.
func same(a []byte, inA bool, b []byte, inB bool) bool {
	return inA == inB && bytes.Equal(a, b)
}

// stamp is an entry's numeric "timestamp" (epoch ms), 0 without one.
func stamp(raw []byte) float64 { return gjson.GetBytes(raw, "timestamp").Float() }
