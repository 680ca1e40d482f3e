package probe

import (
	"path/filepath"
	"runtime"
	"strings"
)

// Environment names are case-sensitive on Unix and case-insensitive on
// Windows, where the inherited path variable is spelled "Path": a lookup of
// PATH must find it, and a PATH configured for a server must replace it in
// the child's environment (os/exec keeps the first of two case-variants,
// which would be the inherited one). The functions take goos so the
// Windows rules are unit-tested on any system.

// envGet looks name up in env as goos does.
func envGet(env map[string]string, name, goos string) (string, bool) {
	if v, ok := env[name]; ok {
		return v, true
	}
	if goos != "windows" {
		return "", false
	}
	for k, v := range env {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

// envSet sets name in env as goos does: on Windows it replaces every
// case-variant of name.
func envSet(env map[string]string, name, value, goos string) {
	if goos == "windows" {
		for k := range env {
			if k != name && strings.EqualFold(k, name) {
				delete(env, k)
			}
		}
	}
	env[name] = value
}

// lookupEnv is envGet on this system; "" when unset.
func lookupEnv(env map[string]string, name string) string {
	v, _ := envGet(env, name, runtime.GOOS)
	return v
}

func isAbs(p string) bool { return filepath.IsAbs(p) }
