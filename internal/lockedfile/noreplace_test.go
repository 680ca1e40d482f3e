package lockedfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestPublishNeverReplaces and Quarantine round trip.
func TestPublishNeverReplacesAndQuarantineRoundTrip(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f.json")
	if err := Publish(p, []byte("one"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Publish(p, []byte("two"), 0o600); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("publish over an existing file: %v", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "one" {
		t.Fatalf("publish replaced the file: %s", b)
	}
	q, err := Quarantine(p)
	if err != nil || q == nil || string(q.Data) != "one" {
		t.Fatalf("quarantine: %v %+v", err, q)
	}
	if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("path still there after quarantine: %v", err)
	}
	os.WriteFile(p, []byte("newer"), 0o600) // the owner writes meanwhile
	if err := q.Unquarantine(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "newer" {
		t.Fatalf("unquarantine replaced the newer file: %s", b)
	}
	if des, _ := os.ReadDir(dir); len(des) != 1 {
		t.Fatalf("left behind: %v", des)
	}
	if q, err := Quarantine(filepath.Join(dir, "missing")); q != nil || err != nil {
		t.Fatalf("quarantine of a missing file: %v %v", q, err)
	}
}
