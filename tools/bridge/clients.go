package bridge

import (
	"strconv"
	"strings"
)

// RelistFrom is the lowest Claude Code version measured to re-fetch a
// server's tools after notifications/tools/list_changed in print and
// stream-json mode (-p, --input-format stream-json: the mode Claude
// Desktop's Code chat runs). Measured with the real CLI on Linux:
// 2.1.119 no (it re-fetches only in its interactive REPL); 2.1.150 not
// determined (its headless mode connected the test server only after the
// first model request, so no call could be made); 2.1.328 yes. Versions in
// between are not offered the bridge until measured.
const RelistFrom = "2.1.328"

// Relists reports whether the client that sent clientInfo (name, version)
// re-fetches tools when mcpmend's list changes, in every mode it may be
// running in, and why. Claude Code sends the same clientInfo in its REPL,
// -p and stream-json modes (measured: name "claude-code", version), so a
// version that re-fetches only in the REPL cannot be offered the bridge.
func Relists(name, version string) (bool, string) {
	switch name {
	case "":
		return false, "the client did not say who it is (no clientInfo)"
	case "claude-code":
		if versionAtLeast(version, RelistFrom) {
			return true, "Claude Code " + version + " re-fetches mcpmend's tools when they change"
		}
		return false, "Claude Code " + version + " does not re-fetch a server's tools in print or SDK mode (measured: 2.1.119 re-fetches only in its interactive REPL; " + RelistFrom + " in every mode), and mcpmend cannot tell which mode this is"
	}
	return false, "mcpmend has not measured whether " + name + " " + version + " re-fetches tools when a server's list changes"
}

// versionAtLeast compares dotted numeric versions; a version that does not
// parse is never at least anything.
func versionAtLeast(v, min string) bool {
	a, ok1 := parseVersion(v)
	b, ok2 := parseVersion(min)
	if !ok1 || !ok2 {
		return false
	}
	for i := range b {
		if a[i] != b[i] {
			return a[i] > b[i]
		}
	}
	return true
}

func parseVersion(v string) ([3]int, bool) {
	var out [3]int
	v, _, _ = strings.Cut(strings.TrimSpace(v), "-")
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		return out, false
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return out, false
		}
		out[i] = n
	}
	return out, true
}
