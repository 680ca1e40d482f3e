package installer

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode"

	"github.com/mcpmend/mcpmend/internal/lazyre"
)

// appliedRecord is applied.json: the hashes of the bytes Apply replaced
// and wrote, and the one run of old bytes the edit replaced (At, Old) with
// the length of the new bytes in its place (New), when that run is safe to
// keep (see safeRun).
type appliedRecord struct {
	Pre  string  `json:"pre_sha256"`
	Post string  `json:"post_sha256"`
	Run  *oneRun `json:"run,omitempty"`
}

type oneRun struct {
	At  int    `json:"at"`
	Old string `json:"old"`
	New int    `json:"new"`
}

// appliedOf builds applied.json for an edit of pre into post of the entry
// container.name whose value was prior.
func appliedOf(pre, post []byte, name, container string, prior json.RawMessage) []byte {
	a := appliedRecord{Pre: hex.EncodeToString(sum(pre)), Post: hex.EncodeToString(sum(post))}
	p := 0
	for p < len(pre) && p < len(post) && pre[p] == post[p] {
		p++
	}
	s := 0
	for s < len(pre)-p && s < len(post)-p && pre[len(pre)-1-s] == post[len(post)-1-s] {
		s++
	}
	old := string(pre[p : len(pre)-s])
	if safeRun(old, name, container, prior) {
		a.Run = &oneRun{At: p, Old: old, New: len(post) - s - p}
	}
	b, _ := json.Marshal(a)
	return b
}

// safeRun reports whether old — the bytes of the file the edit replaced —
// holds nothing but the entry's own words, punctuation and comments (a
// comment on mcpmend's own table, say): every other word in it appears in
// the entry's old value, its name or its container. A run that took in
// anything else (an editor's re-layout of the whole file would take in
// other servers' headers and env values) is not kept; undo then puts back
// the entry alone.
func safeRun(old, name, container string, prior json.RawMessage) bool {
	known := name + "\n" + container + "\n" + string(prior)
	for _, w := range strings.FieldsFunc(withoutComments(old), func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune("{}[],:=\"'.", r)
	}) {
		if !strings.Contains(known, w) {
			return false
		}
	}
	return true
}

// backup is a step's backup, in either format.
type backup struct {
	absent   bool
	prior    priorEntry
	postHash string
	applied  *appliedRecord
	legacy   []byte // the whole file, in a backup written before they were cut down
}

// loadBackup reads the step's backup.
func (m *EntryChange) loadBackup(dir string) (*backup, error) {
	b := &backup{}
	_, err := os.Stat(filepath.Join(dir, bkAbsent))
	b.absent = err == nil
	if data, err := os.ReadFile(filepath.Join(dir, bkPrior)); err == nil {
		if err := json.Unmarshal(data, &b.prior); err != nil {
			return nil, fmt.Errorf("backup of %s: %w", m.File, err)
		}
	} else if orig, err := os.ReadFile(filepath.Join(dir, bkOriginal)); err == nil {
		b.legacy = orig
		raw, ok, err := getEntry(m.Format, orig, m.Container, m.Name)
		if err != nil {
			return nil, fmt.Errorf("backup of %s: %w", m.File, err)
		}
		b.prior = priorEntry{Had: ok, Entry: raw}
	} else if !b.absent {
		return nil, errors.New("no backup of " + m.File + " in " + dir)
	}
	if data, err := os.ReadFile(filepath.Join(dir, bkAppliedJSON)); err == nil {
		var a appliedRecord
		if err := json.Unmarshal(data, &a); err == nil {
			b.applied, b.postHash = &a, a.Post
		}
	} else if h, err := os.ReadFile(filepath.Join(dir, bkApplied)); err == nil {
		b.postHash = string(h)
	}
	return b, nil
}

// preImage returns the bytes Apply replaced, given cur, the file exactly as
// Apply wrote it: the legacy whole copy, or cur with the old run put back —
// only when that hashes as the recorded pre-image.
func (b *backup) preImage(cur []byte) ([]byte, bool) {
	if b.legacy != nil {
		return b.legacy, true
	}
	if b.applied == nil || b.applied.Run == nil {
		return nil, false
	}
	r := b.applied.Run
	if r.At < 0 || r.New < 0 || r.At+r.New > len(cur) {
		return nil, false
	}
	pre := append(append(append([]byte{}, cur[:r.At]...), r.Old...), cur[r.At+r.New:]...)
	if hex.EncodeToString(sum(pre)) != b.applied.Pre {
		return nil, false
	}
	return pre, true
}

// comment is a TOML (#) or JSONC (//) comment to the end of its line.
var comment = lazyre.New(`(#|//)[^\n]*`)

// withoutComments drops line comments, for safeRun's word check.
func withoutComments(s string) string { return comment.ReplaceAllString(s, " ") }
