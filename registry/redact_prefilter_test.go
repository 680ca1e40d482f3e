package registry

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// TestRedactPrefilters: whenever mayAssignSecret or mayHoldToken says a
// pattern cannot match, the pattern indeed finds nothing — on texts built
// from the pieces that make the patterns match (secret words, separators,
// key prefixes, long runs, "Bearer", paths, the Kelvin sign and long s that
// (?i) folds) and on the texts a checkup redacts by the thousand. The
// filters must also let through what the patterns catch.
func TestRedactPrefilters(t *testing.T) {
	pieces := []string{"token", "TOKEN", "Secret", "passw", "pwd", "api-key", "api_Key", "apikey", "credential", "cookie",
		"=", ":", " ", "\"", "'", "/", "-", "_", ".", ",", "sk", "SK", "pk", "ghp", "gho", "ghu", "ghs", "github_pat", "xoxb",
		"xoxs", "glpat", "AKIA", "bearer", "Basic", "abcdefgh", "01234567", "project-0005", "ck_home250", "\u212a", "\u017f",
		"a", "Z", "9", "\t", "é", "tmp", "src", "x", "key"}
	rng := rand.New(rand.NewPCG(15, 2026))
	texts := []string{
		"the working directory /tmp/ck_home250/src/project-0005 does not exist",
		"working directory /tmp/ck_home250/src/project-0005: stat /tmp/ck_home250/src/project-0005: no such file or directory",
		`exec: "no-such-mcpmend-command": executable file not found in $PATH`,
	}
	for range 200000 {
		var b strings.Builder
		for range 1 + rng.IntN(12) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		texts = append(texts, b.String())
	}
	var assignSeen, tokenSeen int
	for _, s := range texts {
		if secretAssign.MatchString(s) {
			assignSeen++
			if !mayAssignSecret(s) {
				t.Fatalf("mayAssignSecret(%q) is false, secretAssign matches", s)
			}
		}
		if tokenLike.MatchString(s) {
			tokenSeen++
			if !mayHoldToken(s) {
				t.Fatalf("mayHoldToken(%q) is false, tokenLike matches", s)
			}
		}
	}
	if assignSeen < 1000 || tokenSeen < 1000 {
		t.Fatalf("too few texts the patterns match (%d, %d): the test checks little", assignSeen, tokenSeen)
	}
	for _, s := range texts[:3] {
		if mayAssignSecret(s) || mayHoldToken(s) {
			t.Errorf("%q: a checkup's text still goes through a pattern", s)
		}
	}
}
