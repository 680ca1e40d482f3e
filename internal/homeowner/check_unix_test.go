//go:build unix

package homeowner

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	own := t.TempDir()
	if err := Check(own, false); err != nil {
		t.Fatalf("your own home: %v", err)
	}
	if err := Check(filepath.Join(own, "missing"), false); err != nil {
		t.Fatalf("a missing home has nothing to write: %v", err)
	}
	if os.Geteuid() != 0 {
		err := Check("/", true) // root's, and we are not root
		var fe *ForeignError
		if !errors.As(err, &fe) || !fe.AsOwner || !strings.Contains(err.Error(), "needs root") {
			t.Fatalf("--as-owner without root: %v", err)
		}
		return
	}
	if err := os.Chown(own, 4242, 4242); err != nil {
		t.Fatal(err)
	}
	err := Check(own, false)
	var fe *ForeignError
	if !errors.As(err, &fe) {
		t.Fatalf("root on uid 4242's home: %v", err)
	}
	for _, want := range []string{own, "uid 4242", "root (uid 0)", Flag, "nothing was changed"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal does not say %q: %v", want, err)
		}
	}
	if err := Check(own, true); err != nil {
		t.Fatalf("root with --as-owner: %v", err)
	}
}
