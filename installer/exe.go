package installer

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
)

// ErrGoRun is StablePath's refusal of a binary `go run` built in a temp dir.
var ErrGoRun = errors.New("this mcpmend was built by `go run` in a temporary directory that is deleted when it exits; " +
	"install it first (go install github.com/mcpmend/mcpmend/cmd/mcpmend@latest) and run the installed binary's install")

// StablePath turns the running binary's path into the one a client config
// should hold: absolute, and stable across upgrades. A path inside a
// package manager's versioned directory is mapped to the manager's stable
// link when that exists (exists reports whether a path is there):
//
//	/opt/homebrew/Cellar/mcpmend/1.2.0/bin/mcpmend → /opt/homebrew/bin/mcpmend
//	~/scoop/apps/mcpmend/1.2.0/mcpmend.exe         → ~/scoop/apps/mcpmend/current/mcpmend.exe
//
// Every other path is kept as given, symlinks included: /usr/local/bin or
// $GOPATH/bin links are what the user chose and survive upgrades, while
// their targets may not.
func StablePath(exe string, exists func(string) bool) (string, error) {
	if !filepath.IsAbs(exe) {
		return "", errors.New("the path of this binary is not absolute: " + exe)
	}
	exe = filepath.Clean(exe)
	parts := strings.Split(filepath.ToSlash(exe), "/")
	for i, p := range parts {
		switch {
		case strings.HasPrefix(p, "go-build") && i+2 < len(parts) && parts[i+2] == "exe":
			return "", ErrGoRun
		case p == "Cellar" && i+3 < len(parts):
			// <prefix>/Cellar/<formula>/<version>/<rest>: Homebrew links
			// <rest> into <prefix>, and keeps <prefix>/opt/<formula>.
			prefix, rest := parts[:i], parts[i+3:]
			for _, c := range [][]string{append(append([]string{}, prefix...), rest...),
				append(append(append([]string{}, prefix...), "opt", parts[i+1]), rest...)} {
				if cand := filepath.FromSlash(strings.Join(c, "/")); exists(cand) {
					return cand, nil
				}
			}
		case strings.EqualFold(p, "apps") && i > 0 && strings.EqualFold(parts[i-1], "scoop") && i+3 < len(parts):
			c := append(append([]string{}, parts...)[:i+2], append([]string{"current"}, parts[i+3:]...)...)
			if cand := filepath.FromSlash(strings.Join(c, "/")); exists(cand) {
				return cand, nil
			}
		}
	}
	return exe, nil
}

// RunningBinary is StablePath of os.Executable.
func RunningBinary() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	if abs, err := filepath.Abs(exe); err == nil {
		exe = abs
	}
	return StablePath(exe, func(p string) bool { _, err := os.Stat(p); return err == nil })
}
