package bridge

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// ClaudeCodePrefix is what Claude Code puts before a tool of the server it
// knows as mcpmend: mcp__<server>__<tool>.
const ClaudeCodePrefix = "mcp__mcpmend__"

// MaxAPIToolName is the longest tool name the Messages API accepts
// (^[a-zA-Z0-9_-]{1,64}$); the name Claude Code shows includes its prefix.
const MaxAPIToolName = 64

// DefaultNameBudget is how long a bridged tool's own name may be so that
// Claude Code's full name stays within MaxAPIToolName.
const DefaultNameBudget = MaxAPIToolName - len(ClaudeCodePrefix)

// hashLen is how many hex digits of the hash a shortened or colliding name
// carries: 8 hex digits make an accidental second collision negligible, and
// a name that still collides gets more.
const hashLen = 8

// sanitize keeps the characters the Messages API allows in tool names and
// turns every other into "_", as Claude Code normalises server names.
func sanitize(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// digest is a stable hash of the upstream identity (server and tool as
// they were, before sanitising), so the same tool always gets the same
// shortened name.
func digest(server, tool string, n int) string {
	sum := sha256.Sum256([]byte(server + "\x00" + tool))
	return hex.EncodeToString(sum[:])[:n]
}

// ToolName is the name a bridged tool gets: <server>__<tool> with
// characters outside [A-Za-z0-9_-] replaced by "_". When that is longer
// than budget, or taken reports it already in use (another bridged tool
// that sanitises to the same name, or one of mcpmend's own), it is cut and
// ends in "_" + a hash of the original server and tool names: the result is
// deterministic for a given set of names already taken.
func ToolName(server, tool string, budget int, taken func(string) bool) string {
	if budget <= 0 {
		budget = DefaultNameBudget
	}
	name := sanitize(server) + "__" + sanitize(tool)
	if len(name) <= budget && !taken(name) {
		return name
	}
	for n := hashLen; n <= 64; n += 4 {
		h := "_" + digest(server, tool, n)
		keep := budget - len(h)
		if keep < 1 {
			keep = 1
		}
		cand := name
		if len(cand) > keep {
			cand = cand[:keep]
		}
		cand = strings.TrimRight(cand, "_") + h
		if len(cand) > budget {
			cand = cand[len(cand)-budget:]
		}
		if !taken(cand) {
			return cand
		}
	}
	return "" // 2^256 collisions: never in practice
}
