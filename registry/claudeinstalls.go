package registry

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/mcpmend/mcpmend/internal/ccversion"
)

// Who runs a Claude Code install.
const (
	// RunnerTerminal is the `claude` command a user runs in a terminal (and
	// the IDE extensions that start it).
	RunnerTerminal = "terminal"
	// RunnerDesktop is Claude Desktop's Code chat, which runs its own
	// Claude Code, downloaded into Desktop's data folder and updated
	// separately from any CLI.
	RunnerDesktop = "desktop"
)

// How a Claude Code was installed.
const (
	InstallNPM     = "npm"     // npm install -g @anthropic-ai/claude-code (or any package dir)
	InstallNative  = "native"  // the native installer: ~/.local/share/claude/versions/<ver>
	InstallLocal   = "local"   // the per-user npm install in ~/.claude/local
	InstallDesktop = "desktop" // bundled by Claude Desktop: <data>/claude-code/<ver>/
	InstallUnknown = "unknown" // a `claude` on PATH mcpmend cannot place
)

// ClaudeInstall is one installed Claude Code, found without running it.
type ClaudeInstall struct {
	Runner string `json:"runner"` // RunnerTerminal or RunnerDesktop
	Kind   string `json:"kind"`   // InstallNPM, InstallNative, …
	Path   string `json:"path"`   // the executable (symlinks resolved) or package dir
	// Version is x.y.z, "" when it could not be read from disk.
	Version     string `json:"version,omitempty"`
	VersionFrom string `json:"version_from,omitempty"` // the file or directory name it was read from
	// OnPath: this is the `claude` a terminal resolves through PATH.
	OnPath bool `json:"on_path,omitempty"`
	// InUse: the install that actually runs — the CLI on PATH (every
	// terminal install when none is on PATH), and Desktop's newest bundled
	// version. Older bundled versions stay on disk unused.
	InUse bool `json:"in_use"`
	// ConfigHome and ClaudeJSON are the files it keeps its memory and
	// configuration in: both runners share ~/.claude and ~/.claude.json
	// unless CLAUDE_CONFIG_DIR is set.
	ConfigHome string `json:"config_home"`
	ClaudeJSON string `json:"claude_json"`
}

// Parsed is the install's version, zero when unknown.
func (i ClaudeInstall) Parsed() ccversion.Version {
	v, _ := ccversion.Parse(i.Version)
	return v
}

// Who names the install for a sentence: "the terminal CLI (2.1.328)",
// "Claude Desktop's Code chat (Claude Code 2.1.119)".
func (i ClaudeInstall) Who() string {
	ver := i.Version
	if ver == "" {
		ver = "version unknown"
	}
	if i.Runner == RunnerDesktop {
		if i.Version == "" {
			return "Claude Desktop's Code chat (Claude Code, version unknown)"
		}
		return "Claude Desktop's Code chat (Claude Code " + ver + ")"
	}
	return "the terminal CLI (" + ver + ")"
}

// Where each OS keeps Claude Code, relative to the places Env knows. The
// CLI on PATH is looked up first and may be any of the terminal kinds.
//
//	kind     linux / macOS                                    Windows
//	native   ~/.local/bin/claude → ~/.local/share/claude/versions/<ver>  (same under %USERPROFILE%)
//	local    ~/.claude/local/node_modules/@anthropic-ai/claude-code
//	npm      <prefix>/lib/node_modules/@anthropic-ai/claude-code  <prefix>\node_modules\@anthropic-ai\claude-code
//	         prefix: $NPM_CONFIG_PREFIX, prefix= in ~/.npmrc,   prefix: the same, else %APPDATA%\npm
//	         the node on PATH's parent, /usr/local, /usr,
//	         /opt/homebrew (macOS), ~/.npm-global, nvm's versions
//	desktop  macOS  ~/Library/Application Support/Claude/claude-code/<ver>/claude.app/Contents/MacOS/claude
//	         Linux  ~/.config/Claude/claude-code/<ver>/claude
//	         Windows %APPDATA%\Claude\claude-code\<ver>\claude.exe (MSIX: %LOCALAPPDATA%\Packages\Claude_*\LocalCache\Roaming\Claude\…)
const claudePackage = "@anthropic-ai/claude-code"

// ClaudeInstalls finds every installed Claude Code and reads each one's
// version from disk (package.json or the versioned directory it lives in);
// it never runs them. Under --home only paths inside the inspected home
// count. The result is ordered terminal first, then Desktop newest first.
func ClaudeInstalls(env Env) []ClaudeInstall {
	env = env.withDefaults()
	f := installFinder{env: env, seen: map[string]int{}}
	f.onPath()
	f.native()
	f.add(InstallLocal, RunnerTerminal, filepath.Join(env.Join(".claude", "local", "node_modules"), filepath.FromSlash(claudePackage)), false)
	for _, prefix := range npmPrefixes(env) {
		f.add(InstallNPM, RunnerTerminal, npmPackageDir(env, prefix), false)
	}
	f.desktop()
	f.markInUse()
	return f.out
}

type installFinder struct {
	env  Env
	out  []ClaudeInstall
	seen map[string]int // resolved path → index in out
}

// add records an install at p (an executable or a package dir) when it
// exists; onPath marks the CLI a terminal runs.
func (f *installFinder) add(kind, runner, p string, onPath bool) {
	if p == "" || !f.env.inHome(p) {
		return
	}
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return
	}
	ver, from := installVersion(real)
	if ver == "" && (kind == InstallNPM || kind == InstallLocal) {
		return // a package dir that is not Claude Code's
	}
	// The CLI on PATH is the package's bin; the package dir is the same install.
	key := real
	if filepath.Base(from) == "package.json" {
		key = filepath.Dir(from)
	}
	if i, ok := f.seen[key]; ok {
		f.out[i].OnPath = f.out[i].OnPath || onPath
		return
	}
	if kind == InstallUnknown {
		kind = installKind(real, from)
	}
	f.seen[key] = len(f.out)
	f.out = append(f.out, ClaudeInstall{Runner: runner, Kind: kind, Path: real, Version: ver, VersionFrom: from,
		OnPath: onPath, ConfigHome: f.env.ClaudeConfigHome(), ClaudeJSON: f.env.ClaudeJSON()})
}

// onPath adds the first `claude` PATH resolves to, as a shell would.
func (f *installFinder) onPath() {
	names := []string{"claude"}
	if f.env.GOOS == "windows" {
		names = []string{"claude.exe", "claude.cmd", "claude"}
	}
	for _, dir := range filepath.SplitList(f.env.Getenv("PATH")) {
		if dir == "" || !filepath.IsAbs(dir) {
			continue
		}
		for _, n := range names {
			p := filepath.Join(dir, n)
			st, err := os.Stat(p)
			if err != nil || st.IsDir() {
				continue
			}
			if !isExecutableTarget(p) {
				// A shim rather than a link: npm's claude.cmd on Windows sits
				// beside node_modules; a copied bin beside ../lib/node_modules.
				for _, pkg := range []string{npmPackageDir(Env{GOOS: "windows"}, dir), npmPackageDir(Env{GOOS: "linux"}, filepath.Dir(dir))} {
					if _, err := os.Stat(filepath.Join(pkg, "package.json")); err == nil {
						f.add(InstallNPM, RunnerTerminal, pkg, true)
						return
					}
				}
			}
			f.add(InstallUnknown, RunnerTerminal, p, true)
			return
		}
	}
}

// isExecutableTarget reports whether p resolves to something whose version
// can be read from where it lives (a package's bin or a versioned file).
func isExecutableTarget(p string) bool {
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return false
	}
	v, _ := installVersion(real)
	return v != ""
}

// native adds the native installer's current version (the one its launcher
// links to).
func (f *installFinder) native() {
	name := "claude"
	if f.env.GOOS == "windows" {
		name = "claude.exe"
	}
	f.add(InstallNative, RunnerTerminal, f.env.Join(".local", "bin", name), false)
}

// desktop adds every Claude Code that Claude Desktop has downloaded.
func (f *installFinder) desktop() {
	for _, data := range desktopDataDirs(f.env) {
		entries, err := os.ReadDir(filepath.Join(data, "claude-code"))
		if err != nil {
			continue
		}
		for _, e := range entries {
			if _, err := ccversion.Parse(e.Name()); err != nil || !e.IsDir() {
				continue
			}
			dir := filepath.Join(data, "claude-code", e.Name())
			exe := filepath.Join(dir, desktopClaudeExe(f.env.GOOS))
			if _, err := os.Stat(exe); err != nil {
				exe = dir // a download Desktop has not finished unpacking, or a layout we do not know
			}
			f.addDesktop(exe, e.Name(), dir)
		}
	}
}

func (f *installFinder) addDesktop(exe, ver, dir string) {
	if !f.env.inHome(exe) {
		return
	}
	real, err := filepath.EvalSymlinks(exe)
	if err != nil {
		real = exe
	}
	f.out = append(f.out, ClaudeInstall{Runner: RunnerDesktop, Kind: InstallDesktop, Path: real, Version: ver, VersionFrom: dir,
		ConfigHome: f.env.ClaudeConfigHome(), ClaudeJSON: f.env.ClaudeJSON()})
}

// desktopClaudeExe is the executable inside <data>/claude-code/<ver>/.
func desktopClaudeExe(goos string) string {
	switch goos {
	case "darwin":
		return filepath.Join("claude.app", "Contents", "MacOS", "claude")
	case "windows":
		return "claude.exe"
	}
	return "claude"
}

// desktopDataDirs is Claude Desktop's data folder (and the MSIX build's).
func desktopDataDirs(env Env) []string {
	dirs := []string{filepath.Join(env.AppData(), "Claude")}
	if env.GOOS == "windows" {
		pkgs := filepath.Join(env.LocalAppData(), "Packages")
		if entries, err := os.ReadDir(pkgs); err == nil {
			for _, e := range entries {
				if e.IsDir() && strings.HasPrefix(e.Name(), "Claude_") {
					dirs = append(dirs, filepath.Join(pkgs, e.Name(), "LocalCache", "Roaming", "Claude"))
				}
			}
		}
	}
	return dirs
}

// markInUse marks what runs, and orders terminal first, Desktop newest first.
func (f *installFinder) markInUse() {
	anyOnPath := false
	for _, i := range f.out {
		anyOnPath = anyOnPath || i.OnPath
	}
	sort.SliceStable(f.out, func(a, b int) bool {
		x, y := f.out[a], f.out[b]
		if x.Runner != y.Runner {
			return x.Runner == RunnerTerminal
		}
		if x.OnPath != y.OnPath {
			return x.OnPath
		}
		return x.Parsed().Compare(y.Parsed()) > 0
	})
	newestDesktop := true
	for i := range f.out {
		in := &f.out[i]
		switch in.Runner {
		case RunnerTerminal:
			in.InUse = in.OnPath || !anyOnPath
		case RunnerDesktop:
			in.InUse, newestDesktop = newestDesktop, false
		}
	}
}

// installVersion reads the version of the Claude Code at real (symlinks
// resolved): from the package.json of @anthropic-ai/claude-code or its
// platform package at or above it, or from the versioned directory or file
// name the native installer and Claude Desktop use.
func installVersion(real string) (version, from string) {
	dir := real
	if st, err := os.Stat(real); err == nil && !st.IsDir() {
		dir = filepath.Dir(real)
	}
	for i, d := 0, dir; i < 3; i++ {
		if v := packageVersion(filepath.Join(d, "package.json")); v != "" {
			return v, filepath.Join(d, "package.json")
		}
		d = filepath.Dir(d)
	}
	// …/versions/<ver> (native) or …/claude-code/<ver>/… (Desktop)
	for d := real; d != filepath.Dir(d); d = filepath.Dir(d) {
		parent := filepath.Base(filepath.Dir(d))
		if parent == "versions" || parent == "claude-code" {
			if v, err := ccversion.Parse(filepath.Base(d)); err == nil {
				return v.String(), d
			}
		}
	}
	return "", ""
}

// packageVersion returns the "version" of a Claude Code package.json, ""
// when p is not one.
func packageVersion(p string) string {
	fh, err := os.Open(p)
	if err != nil {
		return ""
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, 1<<20))
	if err != nil {
		return ""
	}
	var pkg struct{ Name, Version string }
	if json.Unmarshal(data, &pkg) != nil || !(pkg.Name == claudePackage || strings.HasPrefix(pkg.Name, claudePackage+"-")) {
		return ""
	}
	v, err := ccversion.Parse(pkg.Version)
	if err != nil {
		return ""
	}
	return v.String()
}

// installKind places an install found through PATH.
func installKind(real, from string) string {
	switch {
	case strings.Contains(real, filepath.Join(".claude", "local")):
		return InstallLocal
	case filepath.Base(filepath.Dir(from)) == "versions" || filepath.Base(filepath.Dir(real)) == "versions":
		return InstallNative
	case strings.HasSuffix(from, "package.json"):
		return InstallNPM
	}
	return InstallUnknown
}

// npmPackageDir is where a global npm install with prefix keeps Claude Code.
func npmPackageDir(env Env, prefix string) string {
	if env.GOOS == "windows" {
		return filepath.Join(prefix, "node_modules", filepath.FromSlash(claudePackage))
	}
	return filepath.Join(prefix, "lib", "node_modules", filepath.FromSlash(claudePackage))
}

// npmPrefixes lists the global npm prefixes worth looking in, without
// running npm: the configured one, the one node's location implies, the
// usual defaults, and every nvm-managed node.
func npmPrefixes(env Env) []string {
	var out []string
	if p := env.Getenv("NPM_CONFIG_PREFIX"); p != "" {
		out = append(out, p)
	}
	if p := env.Getenv("npm_config_prefix"); p != "" {
		out = append(out, p)
	}
	if p := npmrcPrefix(env.Join(".npmrc")); p != "" {
		out = append(out, p)
	}
	if node := lookPath(env, "node"); node != "" {
		if real, err := filepath.EvalSymlinks(node); err == nil {
			out = append(out, filepath.Dir(filepath.Dir(real)))
		}
	}
	switch env.GOOS {
	case "windows":
		out = append(out, filepath.Join(env.AppData(), "npm"))
	case "darwin":
		out = append(out, "/usr/local", "/opt/homebrew")
	default:
		out = append(out, "/usr/local", "/usr")
	}
	out = append(out, env.Join(".npm-global"))
	if nvm, err := filepath.Glob(env.Join(".nvm", "versions", "node", "*")); err == nil {
		out = append(out, nvm...)
	}
	return out
}

// npmrcPrefix reads prefix= from an .npmrc ("" when absent).
func npmrcPrefix(p string) string {
	data, err := os.ReadFile(p)
	if err != nil || len(data) > 1<<20 {
		return ""
	}
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if ok && strings.TrimSpace(k) == "prefix" {
			return strings.Trim(strings.TrimSpace(v), `"'`)
		}
	}
	return ""
}

// lookPath finds name on env's PATH without consulting the process's.
func lookPath(env Env, name string) string {
	if env.GOOS == "windows" {
		name += ".exe"
	}
	for _, dir := range filepath.SplitList(env.Getenv("PATH")) {
		if dir == "" || !filepath.IsAbs(dir) {
			continue
		}
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	return ""
}

// inHome reports whether p may be read: always, except that under --home
// only paths inside the inspected home count.
func (e Env) inHome(p string) bool {
	return !e.HomeOverridden || within(e.Home, p)
}
