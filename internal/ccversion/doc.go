// Package ccversion knows which rules each Claude Code version follows for
// the memory it keeps about MCP servers, and judges a server by them.
//
// What Claude Code writes after a 401, and which of those records make its
// next session skip a server, changed between versions. Every rule in the
// table carries the versions where it was measured (run against the real
// CLI with loopback servers, or read in the shipped program). A version
// between measured ones, or one that could not be read, is judged by the
// nearest older measured rule (or the oldest one, or the newest one for an
// unknown version), and the judgement says so: Rules.Measured is false and
// Rules.Assumed names what was assumed. Only rules that can change a verdict
// count (Rule.Verdict); the others are documentation.
//
// integration/claude_versions_test.go runs the real CLIs (2.1.119, 2.1.150,
// 2.1.328) against loopback servers and checks every verdict this package
// gives against what each version's session does.
//
// The measured facts, per rule:
//
//   - gate A (mcp-needs-auth-cache.json, keyed by server name). 2.1.119 and
//     2.1.150:
//     blocks while now − timestamp < 15 min, with no lower bound (a future
//     timestamp blocks until 15 min after it) and ttlMs ignored. 2.1.328:
//     blocks while −60 s < now − timestamp < ttl, ttl = ttlMs or 15 min
//     (4 h for claude.ai connectors and header-less plugin servers).
//   - gate B (a tokenless mcpOAuth entry whose discovery found OAuth
//     metadata; only for servers configured without headers). 2.1.119 and
//     2.1.150: no time limit — it blocks until the entry is deleted, stamp
//     or not (neither writes tokenlessRejectedAt; both register a clientId).
//     2.1.328: only while discoveryState.tokenlessRejectedAt is within
//     7 days.
//   - gate C (registrationNotOfferedAt, 30 days, header-less servers without
//     a client id): absent in 2.1.119, present in 2.1.328. Where gate B has
//     no time limit gate C cannot change a verdict (both need a tokenless
//     entry), so 2.1.150 counts as measured without it.
//   - a 401 with OAuth metadata to a server whose configuration sets an
//     Authorization header: up to 2.1.156 (run at 2.1.119 and 2.1.150, read
//     in 2.1.150–2.1.156) the server goes needs-auth and gate A is written —
//     on every failing dial, so a flapping upstream keeps it stuck; from
//     2.1.157 (read in the program; run at 2.1.328 and 2.1.337) it is
//     "failed" and nothing is written.
//   - other headers (X-API-Key): needs-auth and gate A for 15 min on every
//     measured version (2.1.119, 2.1.328, 2.1.337).
//   - `claude mcp remove` keeps the gate A key in 2.1.119 (re-adding the
//     name within 15 min stays blocked); 2.1.328 deletes it.
//   - the 2.1.119 interactive REPL deletes the whole needs-auth cache when it
//     starts (print and SDK mode do not); 2.1.328's REPL keeps it.
//   - a successful dial deletes the tokenless entry on both; 2.1.328 also
//     deletes the gate A key, 2.1.119 leaves it (harmless once expired).
package ccversion
