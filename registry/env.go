package registry

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// Env is the view of the machine that discovery works from: whose home, which
// working directory, which OS's paths, and which environment variables.
// Tests and `mcpmend --home DIR` point it at another profile.
type Env struct {
	Home   string              // the user's home directory
	CWD    string              // the current directory: one more project dir
	GOOS   string              // whose per-OS paths to use; runtime.GOOS when empty
	Getenv func(string) string // os.Getenv when nil

	// HomeOverridden is set by --home: location variables (XDG_*, APPDATA,
	// CLAUDE_CONFIG_DIR, …) are then honoured only when they point inside
	// Home, so a user's real profile never leaks into an inspected one.
	HomeOverridden bool

	// AsOwner is set by --as-owner: root may write the stores of a Home that
	// belongs to another user, every file keeping that user's ownership
	// (see internal/homeowner); without it such a write is refused.
	AsOwner bool
}

// OSEnv is the Env of this process: the real home, cwd and environment.
func OSEnv() Env {
	home, _ := os.UserHomeDir()
	cwd, _ := os.Getwd()
	return Env{Home: home, CWD: cwd, GOOS: runtime.GOOS, Getenv: os.Getenv}
}

// WithHome returns env with home replaced, as --home does.
func (e Env) WithHome(home string) Env {
	if abs, err := filepath.Abs(home); err == nil {
		home = abs
	}
	e.Home = home
	e.HomeOverridden = true
	return e
}

func (e Env) withDefaults() Env {
	if e.GOOS == "" {
		e.GOOS = runtime.GOOS
	}
	if e.Getenv == nil {
		e.Getenv = os.Getenv
	}
	return e
}

// Var returns a location variable, or "" when unset or, under --home, when it
// points outside the overridden home.
func (e Env) Var(name string) string {
	e = e.withDefaults()
	v := e.Getenv(name)
	if v == "" || !e.HomeOverridden {
		return v
	}
	if within(e.Home, v) {
		return v
	}
	return ""
}

// Expand returns an environment variable for ${VAR} expansion in configs: the
// raw process value, never filtered (it is what the client would see).
func (e Env) Expand(name string) string {
	return e.withDefaults().Getenv(name)
}

func within(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// Join builds a path under home.
func (e Env) Join(elem ...string) string {
	return filepath.Join(append([]string{e.Home}, elem...)...)
}

// ClaudeConfigHome is Claude Code's config home: $CLAUDE_CONFIG_DIR, else ~/.claude.
func (e Env) ClaudeConfigHome() string {
	if d := e.Var("CLAUDE_CONFIG_DIR"); d != "" {
		return d
	}
	return e.Join(".claude")
}

// ClaudeJSON is Claude Code's main file: $CLAUDE_CONFIG_DIR/.claude.json, else ~/.claude.json.
func (e Env) ClaudeJSON() string {
	if d := e.Var("CLAUDE_CONFIG_DIR"); d != "" {
		return filepath.Join(d, ".claude.json")
	}
	return e.Join(".claude.json")
}

// AppData is the per-user application data directory: ~/Library/Application
// Support on macOS, %APPDATA% on Windows, $XDG_CONFIG_HOME (~/.config) elsewhere.
func (e Env) AppData() string {
	switch e.withDefaults().GOOS {
	case "darwin":
		return e.Join("Library", "Application Support")
	case "windows":
		if d := e.Var("APPDATA"); d != "" {
			return d
		}
		return e.Join("AppData", "Roaming")
	default:
		if d := e.Var("XDG_CONFIG_HOME"); d != "" {
			return d
		}
		return e.Join(".config")
	}
}

// LocalAppData is %LOCALAPPDATA% on Windows (AppData elsewhere).
func (e Env) LocalAppData() string {
	if e.withDefaults().GOOS != "windows" {
		return e.AppData()
	}
	if d := e.Var("LOCALAPPDATA"); d != "" {
		return d
	}
	return e.Join("AppData", "Local")
}

// CacheHome is the per-user cache directory: ~/Library/Caches on macOS,
// %LOCALAPPDATA% on Windows, $XDG_CACHE_HOME (~/.cache) elsewhere.
func (e Env) CacheHome() string {
	switch e.withDefaults().GOOS {
	case "darwin":
		return e.Join("Library", "Caches")
	case "windows":
		return e.LocalAppData()
	default:
		if d := e.Var("XDG_CACHE_HOME"); d != "" {
			return d
		}
		return e.Join(".cache")
	}
}

// StateHome is where mcpmend keeps its journal and backups:
// $XDG_STATE_HOME/mcpmend (~/.local/state/mcpmend), ~/Library/Application
// Support/mcpmend on macOS, %LOCALAPPDATA%\mcpmend on Windows.
func (e Env) StateHome() string {
	switch e.withDefaults().GOOS {
	case "darwin":
		return e.Join("Library", "Application Support", "mcpmend")
	case "windows":
		return filepath.Join(e.LocalAppData(), "mcpmend")
	default:
		if d := e.Var("XDG_STATE_HOME"); d != "" {
			return filepath.Join(d, "mcpmend")
		}
		return e.Join(".local", "state", "mcpmend")
	}
}
