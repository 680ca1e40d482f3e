package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// probeOut is the part of `mcpmend probe --json` the tests read.
type probeOut struct {
	Results []struct {
		Name, Verdict, Summary, Phase string
		Server                        *struct {
			Name            string
			ProtocolVersion string `json:"protocol_version"`
			ToolCount       int    `json:"tool_count"`
		}
		Auth *struct {
			OAuth *struct {
				ResourceMetadataURL   string `json:"resource_metadata_url"`
				AuthServerMetadataURL string `json:"auth_server_metadata_url"`
				DynamicRegistration   bool   `json:"dynamic_registration"`
			} `json:"oauth"`
		}
		DurationMS float64 `json:"duration_ms"`
	}
	Failed int
}

func probeJSON(t testing.TB, home string, args ...string) (probeOut, string, int) {
	t.Helper()
	stdout, stderr, code := runCLI(t, home, append([]string{"probe", "--json"}, args...)...)
	var out probeOut
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("probe --json does not parse: %v\nstdout: %s\nstderr: %s", err, stdout, stderr)
	}
	return out, stdout + stderr, code
}

// startEverything runs @modelcontextprotocol/server-everything in an HTTP
// mode (sse or streamableHttp) on a free loopback port and returns its
// address once it accepts connections.
func startEverything(t testing.TB, mode string) string {
	t.Helper()
	bin := npmBin(t, "mcp-server-everything")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(bin, mode)
	cmd.Env = append(os.Environ(), "PORT="+port)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	for deadline := time.Now().Add(20 * time.Second); ; {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("server-everything %s did not listen on %s: %s", mode, addr, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func writeClaudeJSON(t testing.TB, home string, servers map[string]any) {
	t.Helper()
	data, err := json.MarshalIndent(map[string]any{"mcpServers": servers}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".claude.json"), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestProbeThirdPartyServers probes the reference servers from npm —
// server-everything over stdio, SSE and streamable HTTP, server-memory over
// stdio — through the built binary and through the MCP tool, with canary
// secrets in their env and headers; afterwards none of their processes may
// be left.
func TestProbeThirdPartyServers(t *testing.T) {
	const canary = "CANARY-probe-it-4c2e"
	marker := "probe-it-" + strconv.Itoa(os.Getpid())
	home := t.TempDir()
	everything, memory := npmBin(t, "mcp-server-everything"), npmBin(t, "mcp-server-memory")
	sse, streamable := startEverything(t, "sse"), startEverything(t, "streamableHttp")
	stdioEnv := map[string]any{"API_KEY": canary, "MCPMEND_IT_PROBE": marker}
	writeClaudeJSON(t, home, map[string]any{
		"everything-stdio": map[string]any{"command": everything, "env": stdioEnv},
		"everything-sse":   map[string]any{"type": "sse", "url": "http://" + sse + "/sse", "headers": map[string]any{"X-Api-Key": canary}},
		"everything-http":  map[string]any{"type": "http", "url": "http://" + streamable + "/mcp", "headers": map[string]any{"Authorization": "Bearer " + canary}},
		"memory": map[string]any{"command": memory, "args": []string{"--token", canary},
			"env": map[string]any{"MEMORY_FILE_PATH": filepath.Join(home, "memory.jsonl"), "MCPMEND_IT_PROBE": marker}},
	})

	out, all, code := probeJSON(t, home, "--all", "--timeout", "60s")
	if code != 0 || out.Failed != 0 || len(out.Results) != 4 {
		t.Fatalf("probe --all: exit %d, %d failed, %d results\n%s", code, out.Failed, len(out.Results), all)
	}
	for _, r := range out.Results {
		want := "everything"
		if r.Name == "memory" {
			want = "memory"
		}
		if r.Verdict != "ok" || r.Server == nil || r.Server.ToolCount == 0 || !strings.Contains(r.Server.Name, want) {
			t.Errorf("%s: verdict %s, server %+v", r.Name, r.Verdict, r.Server)
		}
	}
	if strings.Contains(all, canary) {
		t.Errorf("canary secret in probe output:\n%s", all)
	}

	cs := connect(t, home)
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "diagnose", Arguments: map[string]any{"name": "memory", "timeout": 60, "detail": true}})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(res)
	if res.IsError || !strings.Contains(string(raw), `"verdict":"ok"`) || strings.Contains(string(raw), canary) {
		t.Errorf("diagnose with detail over MCP: %s", raw)
	}

	if left := probeLeftovers(marker, 3*time.Second); len(left) > 0 {
		t.Errorf("processes outlived the probes: %v", left)
	}
}

// TestProbeTransientAuthOutage is the case mcpmend exists for: an OAuth
// server answering 401 mid-deploy is auth_required (with what discovery
// found, and no client registered), and ok as soon as it recovers.
func TestProbeTransientAuthOutage(t *testing.T) {
	srv := startOAuthServer(t, "deploying", true)
	home := t.TempDir()
	writeClaudeJSON(t, home, map[string]any{"deploying": map[string]any{"type": "http", "url": srv.MCPURL}})

	out, all, code := probeJSON(t, home, "deploying")
	if code != 1 || len(out.Results) != 1 || out.Results[0].Verdict != "auth_required" {
		t.Fatalf("during the outage: exit %d\n%s", code, all)
	}
	o := out.Results[0].Auth.OAuth
	if o == nil || !o.DynamicRegistration || o.ResourceMetadataURL != srv.Base+"/.well-known/oauth-protected-resource/mcp" ||
		o.AuthServerMetadataURL != srv.Base+"/.well-known/oauth-authorization-server" {
		t.Errorf("oauth discovery = %+v", o)
	}
	for _, r := range srv.Requests() {
		if r.Path == "/register" || r.Path == "/token" {
			t.Errorf("the probe wrote to the authorization server: %s %s", r.Method, r.Path)
		}
	}

	srv.SetHealthy(true)
	out, all, code = probeJSON(t, home, "deploying")
	if code != 0 || out.Results[0].Verdict != "ok" {
		t.Fatalf("after recovery: exit %d\n%s", code, all)
	}
}

// probeLeftovers lists live processes whose environment carries the
// marker (Linux: /proc; elsewhere it cannot look and reports none).
func probeLeftovers(marker string, wait time.Duration) []string {
	if runtime.GOOS != "linux" {
		return nil
	}
	needle := []byte("MCPMEND_IT_PROBE=" + marker + "\x00")
	for deadline := time.Now().Add(wait); ; {
		var left []string
		dirs, _ := filepath.Glob("/proc/[0-9]*")
		for _, d := range dirs {
			env, err := os.ReadFile(filepath.Join(d, "environ"))
			if err != nil || !bytes.Contains(append(env, 0), needle) {
				continue
			}
			stat, _ := os.ReadFile(filepath.Join(d, "stat"))
			if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
				continue // exited, waiting to be reaped
			}
			cmdline, _ := os.ReadFile(filepath.Join(d, "cmdline"))
			left = append(left, fmt.Sprintf("%s %s", filepath.Base(d), bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '})))
		}
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
		time.Sleep(50 * time.Millisecond)
	}
}
