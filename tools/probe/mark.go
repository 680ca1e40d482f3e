package probe

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"strings"
)

// probeMarkEnv is set, to a value unique to one probe, in the environment
// of every process a probe starts. Environments are inherited, so the
// mark follows the server's children even when they leave its process
// group (setsid, a double fork): killMarked finds them by it.
const probeMarkEnv = "MCPMEND_PROBE_MARK"

func newProbeMark() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// markOf finds the mark in a KEY=VALUE environment list.
func markOf(environ []string) string {
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, probeMarkEnv+"="); ok {
			return v
		}
	}
	return ""
}

func jsonValid(b []byte) bool { return json.Valid(b) }
