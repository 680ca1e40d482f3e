// Package benchhome writes the home directory of a heavy Claude Code user
// for benchmarks: many projects in ~/.claude.json that all define the same
// three servers (what people do with github, linear and a company gateway),
// optional prompt history to reach the size of a real file, and the gate
// entries Claude Code leaves behind (one needs-auth entry, tokenless
// rejection stamps, an orphaned credential), so that every store has
// something to answer from.
//
// The benchmarks of the tools and the bench/run script share it, so the
// figures they print are about the same file.
package benchhome

import (
	"bufio"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Shape is what to generate.
type Shape struct {
	Projects int // each defines Names as local servers
	History  int // prompt history entries per project (~220 bytes each)
	// Now stamps the gate entries; zero means time.Now.
	Now time.Time
}

// Names are the three server names every project defines.
var Names = []string{"github", "linear", "gateway"}

// Servers is how many servers the shape configures.
func (s Shape) Servers() int { return s.Projects * len(Names) }

// Write creates home (and home/src/project-NNNN for one project in ten)
// and returns the directory to use as the current one.
func Write(home string, s Shape) (cwd string, err error) {
	now := s.Now
	if now.IsZero() {
		now = time.Now()
	}
	if err := os.MkdirAll(filepath.Join(home, ".claude"), 0o755); err != nil {
		return "", err
	}
	f, err := os.Create(filepath.Join(home, ".claude.json"))
	if err != nil {
		return "", err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprint(w, `{"numStartups":812,"installMethod":"native","mcpServers":{},"projects":{`)
	for p := range s.Projects {
		dir := filepath.Join(home, "src", fmt.Sprintf("project-%04d", p))
		if p%10 == 0 {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return "", err
			}
			cwd = dir
		}
		key, _ := json.Marshal(dir)
		if p > 0 {
			w.WriteByte(',')
		}
		fmt.Fprintf(w, `%s:{"allowedTools":[],"history":[`, key)
		for h := range s.History {
			if h > 0 {
				w.WriteByte(',')
			}
			fmt.Fprintf(w, `{"display":"Please refactor the \"handler\" in internal/server/route_%d.go so that it returns wrapped errors, then run the tests and fix what fails. Also update docs/ARCHITECTURE.md — entry %d\n","pastedContents":{}}`, p, h)
		}
		fmt.Fprintf(w, `],"mcpServers":{"github":{"type":"http","url":"https://api.githubcopilot.com/mcp/"},"linear":{"type":"sse","url":"https://mcp.linear.app/sse"},"gateway":{"command":"npx","args":["-y","mcp-remote","https://gw.example.com/mcp"]}},"enabledMcpjsonServers":[],"disabledMcpjsonServers":[],"hasTrustDialogAccepted":true,"lastSessionId":"5f0c9a3e-%04d"}`, p)
	}
	fmt.Fprint(w, `}}`)
	if err := w.Flush(); err != nil {
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	return cwd, writeGates(home, now)
}

// writeGates leaves what Claude Code writes after a few failed sign-ins:
// gate A for linear, a gate B stamp for github, an orphaned entry of an
// earlier github configuration, and mcp-remote files for the gateway.
func writeGates(home string, now time.Time) error {
	ms := now.UnixMilli()
	needs := fmt.Sprintf(`{"linear":{"timestamp":%d}}`, ms-60_000)
	gh := key("github", `{"type":"http","url":"https://api.githubcopilot.com/mcp/","headers":{}}`)
	old := key("github", `{"type":"http","url":"https://old.example.com/mcp","headers":{}}`)
	creds := fmt.Sprintf(`{"mcpOAuth":{%q:{"serverName":"github","serverUrl":"https://api.githubcopilot.com/mcp/","discoveryState":{"oauthMetadataFound":true,"tokenlessRejectedAt":%d}},%q:{"serverName":"github","serverUrl":"https://old.example.com/mcp","accessToken":"x"}}}`,
		gh, ms-3_600_000, old)
	files := map[string]string{
		".claude/mcp-needs-auth-cache.json": needs,
		".claude/.credentials.json":         creds,
		".mcp-auth/mcp-remote-v1/" + md5hex("https://gw.example.com/mcp") + "_tokens.json": fmt.Sprintf(`{"access_token":"x","expires_at":%d}`, ms+3_600_000),
	}
	for name, body := range files {
		p := filepath.Join(home, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			return err
		}
	}
	return nil
}

// key is Claude Code's credential key: name|16 hex of sha256 of the JSON.
func key(name, keyJSON string) string {
	sum := sha256.Sum256([]byte(keyJSON))
	return name + "|" + hex.EncodeToString(sum[:])[:16]
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}
