package bridge

import (
	"strconv"
	"strings"
)

// RelistFrom is the lowest Claude Code version measured to offer the model
// a server's new tools on the very next request after the server sends
// notifications/tools/list_changed, in print and stream-json mode (-p,
// --input-format stream-json: the mode Claude Desktop's Code chat runs).
// Measured with the real CLI on Linux through bridge_server and a scripted
// Messages API (integration/bridge_claude_test.go, MCPMEND_TEST_CLAUDE):
//   - 2.1.119, 2.1.150: no re-fetch (no tools/list within 1.5 s); the
//     bridged tools never reach the model (2.1.119 re-fetches only in its
//     interactive REPL);
//   - 2.1.161 to 2.1.168: re-fetched, but the new tools reached the model
//     only from the next user turn in most runs (2.1.167 and 2.1.168 on the
//     next request in one run each);
//   - 2.1.169 (3 of 3 runs), 2.1.170, 2.1.172, 2.1.173, 2.1.198, 2.1.238,
//     2.1.328 (6 of 6): on the next request.
//
// The timing-dependent versions are not offered the bridge.
const RelistFrom = "2.1.169"

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
		return false, "Claude Code " + version + " does not reliably give the model a server's new tools in the same turn in print or SDK mode (measured: 2.1.119 and 2.1.150 never re-fetch there; up to 2.1.168 mostly only from the next turn; from " + RelistFrom + " at once), and mcpmend cannot tell which mode this is"
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
