#!/usr/bin/env bash
# Does a RUNNING Claude Code REPL notice a rewrite of its MCP configuration?
#
# Starts two loopback MCP servers (A on :4201, B on :4202) that log every
# request, opens the real Claude Code REPL under tmux in a throwaway HOME whose
# ~/.claude.json points server "alpha" at A, then while the REPL is open:
#   1. rewrites alpha's url to B by temp file + rename (how mcpmend and Claude
#      Code write), and adds a server "beta";
#   2. rewrites .mcp.json's "gamma" in place and adds "delta";
# and reports which server received requests after each step, and what /mcp
# lists. Finally /mcp → alpha → Reconnect shows that Reconnect re-reads the
# entry. Needs tmux, node_modules from `npm ci`, Go. Run from this directory.
# Findings are recorded in README ("Re-registration") and
# registry.ClaudeCodeReloadNote.
set -euo pipefail
here=$(pwd)
claude=$(cd ../.. && pwd)/node_modules/.bin/claude
work=$(mktemp -d)
trap 'tmux kill-session -t mcpmend-rereg 2>/dev/null || true; kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
(cd "$here" && go build -o "$work/logsrv" ./logsrv)
"$work/logsrv" 127.0.0.1:4201 A 2>"$work/A.log" & pa=$!
"$work/logsrv" 127.0.0.1:4202 B 2>"$work/B.log" & pb=$!
sleep 1
kill -0 $pa $pb 2>/dev/null || { cat "$work/A.log" "$work/B.log"; echo "ports 4201/4202 must be free"; exit 1; }
mkdir -p "$work/home/.claude" "$work/proj"
proj=$(cd "$work/proj" && pwd -P)
key=sk-ant-dummy-0123456789abcdefghij
# Onboarding done, the project trusted, the dummy API key approved (Claude
# Code keeps the key's last 20 characters): the REPL starts without prompts.
cat >"$work/home/.claude.json" <<EOF
{
  "hasCompletedOnboarding": true,
  "customApiKeyResponses": {"approved": ["${key: -20}"], "rejected": []},
  "mcpServers": {"alpha": {"type": "http", "url": "http://127.0.0.1:4201/mcp"}},
  "projects": {"$proj": {"hasTrustDialogAccepted": true, "allowedTools": []}}
}
EOF
echo '{"enableAllProjectMcpServers": true}' >"$work/home/.claude/settings.json"
echo '{"mcpServers": {"gamma": {"type": "http", "url": "http://127.0.0.1:4202/mcp"}}}' >"$proj/.mcp.json"

tmux new-session -d -s mcpmend-rereg -x 160 -y 50 -c "$proj" \
  "env HOME=$work/home ANTHROPIC_API_KEY=$key CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 DISABLE_TELEMETRY=1 DISABLE_AUTOUPDATER=1 $claude; sleep 600"
for _ in $(seq 90); do grep -q "A POST" "$work/A.log" && break; sleep 1; done
sleep 5
echo "== REPL up: A has $(wc -l <"$work/A.log") requests, B has $(wc -l <"$work/B.log")"

mark() { wc -l <"$work/$1.log"; }
a0=$(mark A) b0=$(mark B)
python3 - "$work/home/.claude.json" <<'EOF'
import json, os, sys
p = sys.argv[1]; d = json.load(open(p))
d["mcpServers"]["alpha"]["url"] = "http://127.0.0.1:4202/mcp"
d["mcpServers"]["beta"] = {"type": "http", "url": "http://127.0.0.1:4201/mcp"}
open(p + ".tmp", "w").write(json.dumps(d, indent=2)); os.rename(p + ".tmp", p)
EOF
python3 - "$proj/.mcp.json" <<'EOF'
import json, sys
p = sys.argv[1]; d = json.load(open(p))
d["mcpServers"]["gamma"]["url"] = "http://127.0.0.1:4201/mcp"
d["mcpServers"]["delta"] = {"type": "http", "url": "http://127.0.0.1:4201/mcp"}
with open(p, "r+") as f: f.write(json.dumps(d, indent=2)); f.truncate()
EOF
sleep 25
echo "== 25 s after rewriting both configs: new requests A=$(( $(mark A) - a0 )) B=$(( $(mark B) - b0 ))"
tmux send-keys -t mcpmend-rereg "/mcp"; sleep 1; tmux send-keys -t mcpmend-rereg Enter; sleep 3
echo "== /mcp lists:"; tmux capture-pane -t mcpmend-rereg -p | grep -E "✔|✘|servers?$" || true
tmux send-keys -t mcpmend-rereg Escape; sleep 1

b1=$(mark B)
tmux send-keys -t mcpmend-rereg "/mcp"; sleep 1; tmux send-keys -t mcpmend-rereg Enter; sleep 2
# The list is sorted project first (gamma), then user (alpha, …).
tmux send-keys -t mcpmend-rereg Down; sleep 0.5; tmux send-keys -t mcpmend-rereg Enter; sleep 2
tmux send-keys -t mcpmend-rereg Down; sleep 0.3; tmux send-keys -t mcpmend-rereg Down; sleep 0.3
tmux send-keys -t mcpmend-rereg Enter; sleep 5
tmux capture-pane -t mcpmend-rereg -p | grep -E "Reconnected|Failed" || true
echo "== after /mcp → alpha → Reconnect: new requests to B (alpha's new url) = $(( $(mark B) - b1 ))"
echo "== request log A:"; cat "$work/A.log"
echo "== request log B:"; cat "$work/B.log"
