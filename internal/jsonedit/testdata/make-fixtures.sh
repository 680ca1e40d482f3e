#!/usr/bin/env bash
# Regenerates claude.json: a ~/.claude.json written by the real Claude Code CLI
# (integration/node_modules/.bin/claude, installed by .ci/run) in a throwaway
# HOME, with user, local and project-path keys that need escaping (dots,
# slashes, unicode). Run from this directory.
set -euo pipefail
claude="$(cd ../../../integration && pwd)/node_modules/.bin/claude"
home=$(mktemp -d)
proj="$home/my.proj*dir"
mkdir -p "$proj"
export HOME="$home" CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 DISABLE_TELEMETRY=1 DISABLE_AUTOUPDATER=1
cd "$proj"
"$claude" mcp add-json -s user github '{"type":"http","url":"https://api.example.com/mcp","headers":{"Authorization":"Bearer CANARY-fixture-token"}}' >/dev/null
"$claude" mcp add-json -s user files '{"command":"npx","args":["-y","@modelcontextprotocol/server-filesystem","/tmp/ü dir"],"env":{"K":"v"}}' >/dev/null
"$claude" mcp add-json -s local local_srv '{"type":"sse","url":"http://127.0.0.1:4133/sse"}' >/dev/null
"$claude" mcp add-json -s user x-1 '{"type":"http","url":"http://127.0.0.1:9/mcp","oauth":{"clientId":"abc","callbackPort":8080}}' >/dev/null
# Replace the throwaway home in paths so the fixture is stable.
sed "s#$home#/home/u#g" "$home/.claude.json" > "$OLDPWD/claude.json"
rm -rf "$home"
