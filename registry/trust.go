package registry

import (
	"fmt"
	"path/filepath"

	"github.com/tidwall/gjson"
)

// Trust: mcpmend runs only what the client itself would run.
//
// A server from a user-level file was put there by the user and is trusted.
// A server from a project or workspace file (.mcp.json, .cursor/mcp.json,
// .vscode/mcp.json, .gemini/settings.json, .codex/config.toml) came with the
// repository: it is started or dialled only when that client's own trust
// record for the folder, as found on disk, says yes. Where nothing on disk
// says yes (VS Code and Cursor keep workspace trust in their state
// databases, which mcpmend does not read), it is not trusted. An untrusted
// server is judged without starting it, its ${VAR} references are not
// expanded, and TrustHint says how to trust it in its client.
//
// Where a stdio server starts is decided here too (WorkDir): in its
// project's folder when that folder is trusted, else in the home directory
// — never in mcpmend's own current directory, where a repository's
// node_modules/.bin would shadow the commands npx and friends resolve.

// untrust marks s as not to be started or dialled, with how to trust it.
func (s *Server) untrust(hint string) {
	s.Untrusted = true
	s.TrustHint = hint
}

// Trusted reports whether mcpmend may start or dial s: its client would.
func (s Server) Trusted() bool { return !s.Untrusted }

// placeWorkDir sets where s starts: dir when its client trusts that folder
// (trusted), else the home directory with a note saying why.
// A remote server without a headersHelper starts nothing, so it gets none.
func (s *Server) placeWorkDir(env Env, dir string, trusted bool, why string) {
	s.WorkDir, s.WorkDirNote = "", ""
	switch {
	case s.Transport != Stdio && s.Raw.HeadersHelper == "":
	case dir != "" && trusted:
		s.WorkDir = dir
	default:
		s.WorkDir = env.Home
		if dir != "" && why != "" && filepath.Clean(dir) != filepath.Clean(env.Home) {
			s.WorkDirNote = why
		}
	}
}

// homeWorkDir places every server of a client that has no project notion
// (or whose project trust is unknown) in the home directory.
func homeWorkDir(env Env, servers []Server) {
	for i := range servers {
		servers[i].placeWorkDir(env, "", false, "")
	}
}

// Hints naming how each client trusts a project or workspace folder.
func claudeTrustHint(dir string, approval string) string {
	if approval != Approved {
		return fmt.Sprintf("Claude Code runs a project server only once it is approved in a trusted folder: start `claude` in %s, accept the trust dialog and approve the server (or add its name to enabledMcpjsonServers in %s)",
			dir, filepath.Join(dir, ".claude", "settings.local.json"))
	}
	return fmt.Sprintf("Claude Code runs project servers only in a folder whose trust dialog was accepted: start `claude` in %s and accept it (recorded as hasTrustDialogAccepted in ~/.claude.json)", dir)
}

func codexTrustHint(dir, userPath string) string {
	return fmt.Sprintf("Codex reads .codex/config.toml only in trusted projects: trust %s when Codex asks, or add [projects.%q] trust_level = \"trusted\" to %s", dir, dir, userPath)
}

func vscodeTrustHint(dir string) string {
	return fmt.Sprintf("VS Code runs workspace servers only in a trusted workspace (Workspaces: Manage Workspace Trust) and records that in its own state database, which mcpmend does not read; so mcpmend does not start %s's servers. To have mcpmend probe one, define it in the user mcp.json (MCP: Open User Configuration)", filepath.Join(dir, ".vscode", "mcp.json"))
}

func cursorTrustHint(dir string) string {
	return fmt.Sprintf("Cursor asks before it runs a project's servers and keeps the answer in its own database, which mcpmend does not read; so mcpmend does not start %s's servers. To have mcpmend probe one, define it in ~/.cursor/mcp.json", filepath.Join(dir, ".cursor", "mcp.json"))
}

func geminiTrustHint(dir, trustFile string) string {
	return fmt.Sprintf("Gemini CLI loads a project's settings only in a trusted folder: trust %s when Gemini asks (/permissions), which records it as \"TRUST_FOLDER\" in %s", dir, trustFile)
}

// geminiTrustFile is ~/.gemini/trustedFolders.json, or
// $GEMINI_CLI_TRUSTED_FOLDERS_PATH when set (as Gemini CLI reads it).
func geminiTrustFile(env Env) string {
	if p := env.Var("GEMINI_CLI_TRUSTED_FOLDERS_PATH"); p != "" {
		return p
	}
	return env.Join(".gemini", "trustedFolders.json")
}

// geminiTrusted reports whether trustedFolders.json trusts dir: a
// "TRUST_FOLDER" rule for dir or a folder above it, or a "TRUST_PARENT"
// rule for a folder whose parent is dir or above it. Anything else
// (no file, no rule, "DO_NOT_TRUST", a file that does not parse) is no.
func geminiTrusted(env Env, dir string) bool {
	data, _, ok := readJSONC(Gemini, geminiTrustFile(env))
	if !ok || dir == "" {
		return false
	}
	trusted := false
	gjson.ParseBytes(data).ForEach(func(k, v gjson.Result) bool {
		root := filepath.Clean(k.String())
		switch v.String() {
		case "TRUST_FOLDER":
		case "TRUST_PARENT":
			root = filepath.Dir(root)
		default:
			return true
		}
		if filepath.IsAbs(root) && within(root, filepath.Clean(dir)) {
			trusted = true
			return false
		}
		return true
	})
	return trusted
}
