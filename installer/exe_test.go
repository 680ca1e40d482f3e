package installer

import (
	"errors"
	"path/filepath"
	"runtime"
	"testing"
)

func TestStablePath(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the cases are slash paths")
	}
	have := map[string]bool{
		"/opt/homebrew/bin/mcpmend":                          true,
		"/home/linuxbrew/.linuxbrew/opt/mcpmend/bin/mcpmend": true,
		"/home/u/scoop/apps/mcpmend/current/mcpmend.exe":     true,
	}
	exists := func(p string) bool { return have[filepath.ToSlash(p)] }
	cases := []struct{ in, want string }{
		{"/opt/homebrew/Cellar/mcpmend/1.2.0/bin/mcpmend", "/opt/homebrew/bin/mcpmend"},
		// The prefix link is missing: Homebrew's opt link is stable too.
		{"/home/linuxbrew/.linuxbrew/Cellar/mcpmend/1.2.0_1/bin/mcpmend", "/home/linuxbrew/.linuxbrew/opt/mcpmend/bin/mcpmend"},
		// Neither link exists: the versioned path is all there is.
		{"/usr/local/Cellar/mcpmend/1.2.0/bin/mcpmend", "/usr/local/Cellar/mcpmend/1.2.0/bin/mcpmend"},
		{"/home/u/scoop/apps/mcpmend/1.2.0/mcpmend.exe", "/home/u/scoop/apps/mcpmend/current/mcpmend.exe"},
		{"/home/u/go/bin/mcpmend", "/home/u/go/bin/mcpmend"},
		{"/usr/local/bin/../bin/mcpmend", "/usr/local/bin/mcpmend"},
		{"/home/u/Cellar", "/home/u/Cellar"},
	}
	for _, c := range cases {
		got, err := StablePath(c.in, exists)
		if err != nil || got != c.want {
			t.Errorf("StablePath(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"/tmp/go-build123456/b001/exe/mcpmend", "relative/mcpmend"} {
		if got, err := StablePath(bad, exists); err == nil {
			t.Errorf("StablePath(%q) = %q, want an error", bad, got)
		}
	}
	if _, err := StablePath("/tmp/go-build1/b001/exe/mcpmend", exists); !errors.Is(err, ErrGoRun) {
		t.Errorf("go run binary: %v, want ErrGoRun", err)
	}
}
