package registry

import (
	"os"
	"path/filepath"
)

// ManagedDirVar overrides the directory mcpmend reads Claude Code's
// enterprise files (managed-mcp.json, managed-settings.json) from. Claude
// Code itself has no such override: the directory is machine-wide and fixed
// per OS. The variable exists for tests and for inspecting a copied policy.
//
// It is read even under --home: the enterprise directory is not part of a
// user's profile, and without the variable --home inspects the profile as
// this machine's policy applies to it (the real directory, not one under the
// inspected home).
const ManagedDirVar = "MCPMEND_CLAUDE_MANAGED_DIR"

// claudeManagedDir is where an organisation installs Claude Code's policy.
func claudeManagedDir(env Env) string {
	env = env.withDefaults()
	if d := env.Getenv(ManagedDirVar); d != "" {
		return d
	}
	switch env.GOOS {
	case "darwin":
		return "/Library/Application Support/ClaudeCode"
	case "windows":
		return `C:\Program Files\ClaudeCode`
	default:
		return "/etc/claude-code"
	}
}

// gitRoot returns the nearest directory at or above dir holding .git (a
// directory, or a file in worktrees and submodules), "" when none. Claude
// Code keys a session's project by it: `claude` started in repo/sub reads
// projects["repo"].
func gitRoot(dir string) string {
	for d := filepath.Clean(dir); ; {
		if _, err := os.Stat(filepath.Join(d, ".git")); err == nil {
			return d
		}
		parent := filepath.Dir(d)
		if parent == d {
			return ""
		}
		d = parent
	}
}

// ancestors returns dir and every directory above it, nearest first.
func ancestors(dir string) []string {
	var out []string
	for d := filepath.Clean(dir); ; {
		out = append(out, d)
		parent := filepath.Dir(d)
		if parent == d {
			return out
		}
		d = parent
	}
}
