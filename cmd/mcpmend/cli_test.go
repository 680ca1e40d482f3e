package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

// runArgs runs mcpmend in-process on an empty home.
func runArgs(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), append([]string{"--home", t.TempDir()}, args...), strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), code
}

// TestHelp: the overview lists every command of the table; each command's
// help (--help, -h and `help CMD`) shows its usage line, its flags in --flag
// form with their defaults, and an example.
func TestHelp(t *testing.T) {
	out, _, code := runArgs(t)
	if code != 0 {
		t.Fatalf("mcpmend alone: exit %d", code)
	}
	a := newApp(nil, nil, nil)
	for _, mk := range commandTable {
		c := mk(a)
		if !strings.Contains(out, "  "+c.Name()+" ") {
			t.Errorf("overview lacks %s:\n%s", c.Name(), out)
		}
		if c.Example == "" || c.Short == "" {
			t.Errorf("%s has no example or summary", c.Name())
		}
	}
	checkup := []string{"Usage:\n  mcpmend checkup [flags]", "--no-probe", "--timeout DURATION", "as long as the server's client waits", "--client CLIENT",
		"Examples:\n  mcpmend checkup", "--home DIR", "--json"}
	for _, args := range [][]string{{"checkup", "--help"}, {"checkup", "-h"}, {"help", "checkup"}, {"--json", "checkup", "--help"}} {
		out, errOut, code := runArgs(t, args...)
		if code != 0 || errOut != "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
		for _, w := range checkup {
			if !strings.Contains(out, w) {
				t.Errorf("%v lacks %q:\n%s", args, w, out)
			}
		}
	}
	for cmd, want := range map[string]string{"reset": "--dry-run", "serve": "--allow-origin ORIGIN", "probe": "--all", "apply-pending": "--max-wait DURATION"} {
		if out, _, _ := runArgs(t, "help", cmd); !strings.Contains(out, want) {
			t.Errorf("help %s lacks %q:\n%s", cmd, want, out)
		}
	}
}

// TestUsageErrorsExit2: an unknown command or flag, a bad value, a wrong
// number of arguments exit 2 with one message naming the problem and a
// suggestion, and nothing on stdout.
func TestUsageErrorsExit2(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"chekup"}, `unknown command "chekup"; did you mean "checkup"?`},
		{[]string{"--json", "lsit"}, `unknown command "lsit"; did you mean "list"?`},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"checkup", "--timout", "5s"}, "unknown flag --timout for mcpmend checkup; did you mean --timeout?"},
		{[]string{"checkup", "--timeout", "5"}, `--timeout "5": want a duration such as --timeout 15s`},
		{[]string{"checkup", "--timeout"}, "--timeout needs a value: want a duration such as --timeout 15s"},
		{[]string{"reset", "--dry-run=maybe", "x"}, `--dry-run "maybe": want true or false`},
		{[]string{"reset"}, "give exactly one server name (mcpmend reset NAME)"},
		{[]string{"status", "a", "b"}, "give at most one reset id"},
		{[]string{"checkup", "extra"}, "checkup takes no arguments"},
		{[]string{"--log-level", "loud", "list"}, `--log-level "loud"`},
		{[]string{"serve", "--http", "0.0.0.0:7331"}, "not a loopback address"},
		{[]string{"list", "--client", "cursr"}, `--client: unknown client "cursr"; want one of claude-code,`},
		{[]string{"help", "chekup"}, `no help topic "chekup"; did you mean "checkup"?`},
		{[]string{"completion", "tcsh"}, "give one shell: bash, zsh, fish, powershell"},
		{[]string{"completion"}, "give one shell"},
	} {
		out, errOut, code := runArgs(t, tt.args...)
		if code != 2 || out != "" || !strings.Contains(errOut, tt.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and %q", tt.args, code, out, errOut, tt.want)
		}
		if !strings.Contains(errOut, "--help' for") {
			t.Errorf("%v: stderr does not say where help is: %q", tt.args, errOut)
		}
		if strings.Count(errOut, "mcpmend:") != 1 {
			t.Errorf("%v: want one message, got %q", tt.args, errOut)
		}
	}
}

// TestVersion: `version`, `--version` and --json agree on one version.
func TestVersion(t *testing.T) {
	v1, _, c1 := runArgs(t, "version")
	v2, _, c2 := runArgs(t, "--version")
	js, _, c3 := runArgs(t, "version", "--json")
	if c1 != 0 || c2 != 0 || c3 != 0 || v1 != v2 || !strings.HasPrefix(v1, "mcpmend ") {
		t.Fatalf("version %q (exit %d) vs --version %q (exit %d)", v1, c1, v2, c2)
	}
	var b buildInfo
	if err := json.Unmarshal([]byte(js), &b); err != nil || b.Version == "" || !strings.HasPrefix(v1, "mcpmend "+b.Version+" (") {
		t.Errorf("version --json = %s (%v); text %q", js, err, v1)
	}
}

// TestDescribeBuild: the version comes from the build info as `go install
// …@v` and `go build` record it, or from a release stamp.
func TestDescribeBuild(t *testing.T) {
	vcs := []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.time", Value: "2026-12-06T21:00:00Z"}}
	dirty := append(append([]debug.BuildSetting(nil), vcs...), debug.BuildSetting{Key: "vcs.modified", Value: "true"})
	for _, tt := range []struct {
		name             string
		bi               *debug.BuildInfo
		stamp            string
		version, inText  string
		notInText, extra string
	}{
		{name: "go install @v", bi: &debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}}, version: "v1.2.3"},
		{name: "go build in a repo (pseudo-version)", bi: &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261206210000-0123456789ab+dirty"}, Settings: dirty},
			version: "v0.0.0-20261206210000-0123456789ab+dirty", inText: "2026-12-06T21:00:00Z", notInText: "modified"},
		{name: "devel with vcs", bi: &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs}, version: "devel+0123456789ab", inText: "2026-12-06T21:00:00Z"},
		{name: "devel, modified", bi: &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: dirty}, version: "devel+0123456789ab.dirty"},
		{name: "no vcs", bi: &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, version: "devel"},
		{name: "no build info", bi: nil, version: "devel"},
		{name: "release stamp", bi: &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs}, stamp: "v2.0.0", version: "v2.0.0", inText: "commit 0123456789ab"},
	} {
		b := describeBuild(tt.bi, tt.stamp, "", "")
		if b.Version != tt.version {
			t.Errorf("%s: version %q, want %q", tt.name, b.Version, tt.version)
		}
		s := b.String()
		if !strings.HasPrefix(s, "mcpmend "+tt.version+" (") || tt.inText != "" && !strings.Contains(s, tt.inText) ||
			tt.notInText != "" && strings.Contains(s, tt.notInText) {
			t.Errorf("%s: text %q", tt.name, s)
		}
	}
}

// TestCompletion: each shell's script is produced, starts as that shell's
// completion does, and the bash one is valid bash.
func TestCompletion(t *testing.T) {
	for shell, start := range map[string]string{
		"bash":       "# bash completion V2 for mcpmend",
		"zsh":        "#compdef mcpmend",
		"fish":       "# fish completion for mcpmend",
		"powershell": "# powershell completion for mcpmend",
	} {
		out, errOut, code := runArgs(t, "completion", shell)
		if code != 0 || !strings.HasPrefix(out, start) || len(out) < 1000 {
			t.Errorf("completion %s: exit %d, stderr %q, starts %q", shell, code, errOut, out[:min(len(out), 60)])
		}
		if shell != "bash" {
			continue
		}
		bash, err := exec.LookPath("bash")
		if err != nil {
			t.Log("no bash here: syntax not checked")
			continue
		}
		script := filepath.Join(t.TempDir(), "mcpmend.bash")
		if err := os.WriteFile(script, []byte(out), 0o600); err != nil {
			t.Fatal(err)
		}
		if msg, err := exec.Command(bash, "-n", script).CombinedOutput(); err != nil {
			t.Errorf("bash -n: %v\n%s", err, msg)
		}
	}
	// The shells ask mcpmend for candidates through __complete.
	out, _, _ := runArgs(t, "__complete", "checkup", "--client", "")
	if !strings.Contains(out, "claude-code") || !strings.Contains(out, "cursor") {
		t.Errorf("--client completion: %q", out)
	}
	out, _, _ = runArgs(t, "__complete", "chec")
	if !strings.Contains(out, "checkup") {
		t.Errorf("command completion: %q", out)
	}
}

// TestServerNameCompletion completes NAME from the configured servers.
func TestServerNameCompletion(t *testing.T) {
	home := t.TempDir()
	cfg := `{"mcpServers":{"docs":{"type":"http","url":"https://docs.example/mcp"}}}`
	if err := os.WriteFile(filepath.Join(home, ".claude.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	run(context.Background(), []string{"__complete", "--home", home, "reset", ""}, strings.NewReader(""), &out, &errb)
	if !strings.Contains(out.String(), "docs\tclaude-code") {
		t.Errorf("reset NAME completion: %q (%s)", out.String(), errb.String())
	}
}
