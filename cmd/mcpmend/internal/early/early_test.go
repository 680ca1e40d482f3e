package early

import (
	"os/exec"
	"strings"
	"testing"
)

// TestEarlyImports: this package depends on nothing tools/preanswer does
// not (whose own TestEarlyImports keeps that to what os needs), so its
// init — the pre-answer's start — runs right after preanswer's, before
// the packages go-sdk brings.
func TestEarlyImports(t *testing.T) {
	deps := func(pkg string) map[string]bool {
		out, err := exec.Command("go", "list", "-deps", pkg).Output()
		if err != nil {
			t.Skipf("go list: %v", err)
		}
		m := map[string]bool{}
		for _, p := range strings.Fields(string(out)) {
			m[p] = true
		}
		return m
	}
	allowed := deps("github.com/mcpmend/mcpmend/tools/preanswer")
	for p := range deps(".") {
		if !allowed[p] && p != "github.com/mcpmend/mcpmend/cmd/mcpmend/internal/early" {
			t.Errorf("cmd/mcpmend/internal/early depends on %s: the pre-answer's start would wait for it", p)
		}
	}
}
