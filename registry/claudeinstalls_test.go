package registry

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// writeTree creates files (path → content) under root; a content starting
// with "->" makes a symlink to the rest.
func writeTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for p, c := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if target, ok := strings.CutPrefix(c, "->"); ok {
			if err := os.Symlink(filepath.FromSlash(target), full); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(full, []byte(c), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func pkgJSON(name, ver string) string {
	return `{"name": "` + name + `", "version": "` + ver + `", "bin": {"claude": "bin/claude.exe"}}`
}

// installsSummary prints installs as "runner kind version [on-path] [in-use]" lines.
func installsSummary(in []ClaudeInstall) string {
	var lines []string
	for _, i := range in {
		l := i.Runner + " " + i.Kind + " " + i.Version
		if i.OnPath {
			l += " on-path"
		}
		if i.InUse {
			l += " in-use"
		}
		lines = append(lines, l)
	}
	return strings.Join(lines, "\n")
}

// TestClaudeInstallsLinux lays out every kind of install a Linux machine
// can have and checks each is found with its version, its runner and
// whether it runs — without running anything (the executables are not
// even programs).
func TestClaudeInstallsLinux(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symlinks")
	}
	root := t.TempDir()
	home := filepath.Join(root, "home")
	prefix := filepath.Join(root, "usr-local")
	writeTree(t, root, map[string]string{
		// npm -g with a custom prefix, linked from its bin dir, on PATH
		"usr-local/lib/node_modules/@anthropic-ai/claude-code/package.json":   pkgJSON("@anthropic-ai/claude-code", "2.1.328"),
		"usr-local/lib/node_modules/@anthropic-ai/claude-code/bin/claude.exe": "not a program",
		"usr-local/bin/claude": "->../lib/node_modules/@anthropic-ai/claude-code/bin/claude.exe",
		// the native installer, two versions kept, the launcher on the newer
		"home/.local/share/claude/versions/2.1.150": "not a program",
		"home/.local/share/claude/versions/2.1.149": "not a program",
		"home/.local/bin/claude":                    "->../share/claude/versions/2.1.150",
		// the old per-user local install
		"home/.claude/local/node_modules/@anthropic-ai/claude-code/package.json": pkgJSON("@anthropic-ai/claude-code", "2.1.100"),
		// Claude Desktop's bundled versions; the newest runs
		"home/.config/Claude/claude-code/2.1.119/claude":       "not a program",
		"home/.config/Claude/claude-code/2.1.128/claude":       "not a program",
		"home/.config/Claude/claude-code/not-a-version/claude": "x",
		// a package.json that is not Claude Code's must not lend its version
		"home/.npm-global/lib/node_modules/@anthropic-ai/claude-code/package.json": pkgJSON("left-pad", "9.9.9"),
	})
	vars := map[string]string{"PATH": filepath.Join(prefix, "bin") + ":/nonexistent", "NPM_CONFIG_PREFIX": prefix}
	env := Env{Home: home, GOOS: "linux", Getenv: func(k string) string { return vars[k] }}
	got := ClaudeInstalls(env)
	want := strings.Join([]string{
		"terminal npm 2.1.328 on-path in-use",
		"terminal native 2.1.150",
		"terminal local 2.1.100",
		"desktop desktop 2.1.128 in-use",
		"desktop desktop 2.1.119",
	}, "\n")
	if s := installsSummary(got); s != want {
		t.Errorf("installs:\n%s\nwant:\n%s", s, want)
	}
	for _, i := range got {
		if i.ConfigHome != filepath.Join(home, ".claude") || i.ClaudeJSON != filepath.Join(home, ".claude.json") {
			t.Errorf("%s: config home %s, %s; want the shared ~/.claude and ~/.claude.json", i.Who(), i.ConfigHome, i.ClaudeJSON)
		}
	}
	if w := got[0].Who(); w != "the terminal CLI (2.1.328)" {
		t.Errorf("Who = %q", w)
	}
	if w := got[3].Who(); w != "Claude Desktop's Code chat (Claude Code 2.1.128)" {
		t.Errorf("Who = %q", w)
	}

	// Nothing on PATH: every terminal install may be the one that runs.
	vars["PATH"] = "/nonexistent"
	if s := installsSummary(ClaudeInstalls(env)); !strings.Contains(s, "terminal npm 2.1.328 in-use") || !strings.Contains(s, "terminal native 2.1.150 in-use") {
		t.Errorf("without a claude on PATH:\n%s", s)
	}

	// CLAUDE_CONFIG_DIR moves both runners' memory.
	vars["CLAUDE_CONFIG_DIR"] = filepath.Join(home, "cc")
	for _, i := range ClaudeInstalls(env) {
		if i.ConfigHome != filepath.Join(home, "cc") || i.ClaudeJSON != filepath.Join(home, "cc", ".claude.json") {
			t.Errorf("%s with CLAUDE_CONFIG_DIR: %s, %s", i.Who(), i.ConfigHome, i.ClaudeJSON)
		}
	}

	// --home: the npm prefix outside the inspected home is not this profile's.
	delete(vars, "CLAUDE_CONFIG_DIR")
	vars["PATH"] = filepath.Join(prefix, "bin")
	if s := installsSummary(ClaudeInstalls(env.WithHome(home))); strings.Contains(s, "2.1.328") {
		t.Errorf("--home lists an install outside the home:\n%s", s)
	}
}

// TestClaudeInstallsOtherOSes checks the macOS and Windows locations.
func TestClaudeInstallsOtherOSes(t *testing.T) {
	root := t.TempDir()
	home := filepath.Join(root, "home")
	writeTree(t, root, map[string]string{
		"home/Library/Application Support/Claude/claude-code/2.1.280/claude.app/Contents/MacOS/claude":              "x",
		"home/AppData/Roaming/Claude/claude-code/2.1.119/claude.exe":                                                "x",
		"home/AppData/Local/Packages/Claude_pzs8sxrjxfjjc/LocalCache/Roaming/Claude/claude-code/2.1.149/claude.exe": "x",
		"home/AppData/Roaming/npm/node_modules/@anthropic-ai/claude-code/package.json":                              pkgJSON("@anthropic-ai/claude-code", "2.1.332"),
		"home/AppData/Roaming/npm/claude.cmd":                                                                       "@ECHO off\r\nnode ...",
	})
	mac := Env{Home: home, GOOS: "darwin", Getenv: func(string) string { return "" }}
	if s := installsSummary(ClaudeInstalls(mac)); s != "desktop desktop 2.1.280 in-use" {
		t.Errorf("macOS:\n%s", s)
	}
	npmDir := filepath.Join(home, "AppData", "Roaming", "npm")
	win := Env{Home: home, GOOS: "windows", Getenv: func(k string) string {
		if k == "PATH" {
			return npmDir
		}
		return ""
	}}
	want := "terminal npm 2.1.332 on-path in-use\ndesktop desktop 2.1.149 in-use\ndesktop desktop 2.1.119"
	if s := installsSummary(ClaudeInstalls(win)); s != want {
		t.Errorf("Windows:\n%s\nwant:\n%s", s, want)
	}
}

// TestClaudeInstallsRealNPM reads the versions of the real Claude Code
// packages the integration tests install (2.1.328 and the 2.1.119 and
// 2.1.150 aliases), as a user's npm -g and Desktop folders would hold them.
func TestClaudeInstallsRealNPM(t *testing.T) {
	nm, err := filepath.Abs(filepath.Join("..", "integration", "node_modules"))
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(nm, ".bin")
	if _, err := os.Stat(filepath.Join(bin, "claude")); err != nil {
		t.Skip("integration/node_modules has no Claude Code: run `cd integration && npm ci`")
	}
	home := t.TempDir()
	for ver, pkg := range map[string]string{"2.1.119": "claude-code-2-1-119", "2.1.150": "claude-code-2-1-150"} {
		exe := filepath.Join(nm, pkg, "bin", "claude.exe")
		if _, err := os.Stat(exe); err != nil {
			t.Skipf("%s is not installed: run `cd integration && npm ci`", pkg)
		}
		if got, from := installVersion(exe); got != ver {
			t.Errorf("version of %s = %q (from %s), want %s", exe, got, from, ver)
		}
		// Desktop's folder with the real program in it
		writeTree(t, home, map[string]string{".config/Claude/claude-code/" + ver + "/claude": "->" + exe})
	}
	env := Env{Home: home, GOOS: runtime.GOOS, Getenv: func(k string) string {
		if k == "PATH" {
			return bin
		}
		return ""
	}}
	if runtime.GOOS != "linux" {
		t.Skip("the Desktop layout above is Linux's")
	}
	want := "terminal npm 2.1.328 on-path in-use\ndesktop desktop 2.1.150 in-use\ndesktop desktop 2.1.119"
	if s := installsSummary(ClaudeInstalls(env)); s != want {
		t.Errorf("real installs:\n%s\nwant:\n%s", s, want)
	}
}
