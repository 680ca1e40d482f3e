package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing"

	"github.com/mcpmend/mcpmend/internal/benchhome"
	"github.com/mcpmend/mcpmend/internal/hugeheap"
)

// TestLargeConfigReadiedHeapSameAnswer: on a ~/.claude.json over
// largeConfig, list and checkup ready the heap (internal/hugeheap) and
// answer exactly as with MCPMEND_HUGEHEAP=off; GOGC is back as it was
// once each command is done.
func TestLargeConfigReadiedHeapSameAnswer(t *testing.T) {
	home := t.TempDir()
	if _, err := benchhome.Write(home, benchhome.Shape{Projects: 400, History: 2}); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(filepath.Join(home, ".claude.json")); err != nil || st.Size() < largeConfig {
		t.Fatalf("the generated file is too small to count as large: %v %v", st.Size(), err)
	}
	before := debug.SetGCPercent(91)
	defer debug.SetGCPercent(before)
	for _, args := range [][]string{{"list", "--json"}, {"checkup", "--no-probe", "--json"}} {
		args = append(args, "--home", home)
		t.Setenv(hugeheap.Off, "")
		readied := runOut(t, args)
		if got := debug.SetGCPercent(91); got != 91 {
			t.Errorf("%s: GOGC after the command = %d, want 91 as before", args[0], got)
		}
		t.Setenv(hugeheap.Off, "off")
		if plain := runOut(t, args); withoutTimes(readied) != withoutTimes(plain) {
			t.Errorf("%s answers differently with a readied heap", args[0])
		}
		if !strings.Contains(readied, `"name": "gateway"`) {
			t.Errorf("%s: output lacks the servers:\n%.300s", args[0], readied)
		}
	}
}

// withoutTimes drops the lines that say when a command ran ("at").
func withoutTimes(out string) string {
	lines := strings.Split(out, "\n")
	return strings.Join(slices.DeleteFunc(lines, func(l string) bool { return strings.HasPrefix(strings.TrimSpace(l), `"at": `) }), "\n")
}

// runOut runs args in-process and returns stdout, failing unless it
// exits 0 or 1 (checkup's "found a problem": the generated home has a
// needs-auth entry).
func runOut(t *testing.T, args []string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if code := run(context.Background(), args, strings.NewReader(""), &out, &errb); code > 1 {
		t.Fatalf("%v: exit %d: %s", args, code, errb.String())
	}
	return out.String()
}

// TestReadsEveryServerNamesCommands: every command readied for is one of
// the table's (a rename would otherwise silently drop it).
func TestReadsEveryServerNamesCommands(t *testing.T) {
	a := newApp(nil, nil, nil)
	names := map[string]bool{}
	for _, mk := range commandTable {
		names[mk(a).Name()] = true
	}
	for name := range readsEveryServer {
		if !names[name] {
			t.Errorf("readsEveryServer names %q, which is no command", name)
		}
	}
	if _, ok := readsEveryServer["serve"]; ok {
		t.Error("serve must stay small: it lives for a whole session")
	}
}
