package probe

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"github.com/mcpmend/mcpmend/registry"
)

// maxStartup caps a client's startup timeout for a probe: Gemini CLI waits
// up to 10 minutes, a diagnosis should not.
const maxStartup = 120 * time.Second

// StartupTimeout is how long the client whose entry s is waits for the
// server to connect, and where that figure comes from:
//   - Claude Code: MCP_TIMEOUT (milliseconds) when set, else 30 s;
//   - Codex: the entry's startup_timeout_sec (or startup_timeout_ms), else 10 s;
//   - Gemini CLI: the entry's timeout (milliseconds), else 600 s, capped;
//   - Claude Desktop, Cursor, VS Code, Windsurf, Zed: 60 s, the MCP
//     TypeScript SDK's default request timeout the initialize request runs
//     under (Zed's own default for context servers is the same).
//
// env is the environment the client would run with.
func StartupTimeout(s registry.Server, env map[string]string) (time.Duration, string) {
	entry := gjson.Parse(s.Raw.Entry)
	d, src := clientTimeout(s.Client, entry, env)
	if d > maxStartup {
		return maxStartup, src + fmt.Sprintf(", capped at %s for a probe", maxStartup)
	}
	return d, src
}

func clientTimeout(client string, entry gjson.Result, env map[string]string) (time.Duration, string) {
	switch client {
	case registry.ClaudeCode, "":
		if v := strings.TrimSpace(lookupEnv(env, "MCP_TIMEOUT")); v != "" {
			if n, err := strconv.ParseFloat(v, 64); err == nil && n > 0 {
				return time.Duration(n * float64(time.Millisecond)), "MCP_TIMEOUT=" + v + " ms, as Claude Code reads it"
			}
		}
		return 30 * time.Second, "Claude Code's default (MCP_TIMEOUT unset)"
	case registry.Codex:
		if v := entry.Get("startup_timeout_sec"); v.Type == gjson.Number && v.Float() > 0 {
			return time.Duration(v.Float() * float64(time.Second)), "startup_timeout_sec in the Codex entry"
		}
		if v := entry.Get("startup_timeout_ms"); v.Type == gjson.Number && v.Float() > 0 {
			return time.Duration(v.Float() * float64(time.Millisecond)), "startup_timeout_ms in the Codex entry"
		}
		return 10 * time.Second, "Codex's default startup_timeout_sec"
	case registry.Gemini:
		if v := entry.Get("timeout"); v.Type == gjson.Number && v.Float() > 0 {
			return time.Duration(v.Float() * float64(time.Millisecond)), "timeout in the Gemini CLI entry"
		}
		return 600 * time.Second, "Gemini CLI's default timeout"
	}
	return 60 * time.Second, "the MCP SDK's 60 s request timeout " + client + " connects under"
}
