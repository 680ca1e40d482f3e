// Package installer registers mcpmend itself with the MCP clients on this
// machine (`mcpmend install`) and takes it out again (`mcpmend uninstall`).
//
// Each client gets one entry named "mcpmend" in its user-level config file
// (registry.UserConfig says which file and which key), running the absolute
// path of this binary with ["serve"]. The path is absolute because GUI
// clients (Claude Desktop, Cursor, VS Code on macOS) never see the shell's
// PATH, and it is the stable one (StablePath): a Homebrew Cellar or Scoop
// version directory disappears with the next upgrade.
//
// Every change is an EntryChange, a journal.Mutation, so it runs through the
// reset journal: backed up before, written atomically under the owner's lock
// (Claude Code's ~/.claude.json.lock), verified after, and undone with
// `mcpmend undo ID`. Files are edited as text — only the entry's bytes
// change; comments (VS Code, Zed, Gemini CLI JSONC; Codex TOML) and layout
// stay — and every edit is checked by re-parsing before it is written.
//
// An entry named mcpmend that differs from what install would write is never
// overwritten or removed without --force: it may be someone's deliberate
// setup (another path, extra arguments).
package installer
