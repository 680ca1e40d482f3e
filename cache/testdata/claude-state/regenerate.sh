#!/usr/bin/env bash
# Regenerates this fixture with the real Claude Code CLI (integration/node_modules,
# installed by .ci/run): TestClaudeCodeStateLive starts loopback OAuth-protected
# MCP servers (integration/oauthsrv_test.go), lets `claude mcp list` write gates
# A, B and C into a throwaway HOME, turns the servers healthy, records what
# `claude -p hi --output-format stream-json --verbose` reports for each server,
# and copies .claude.json, .claude/.credentials.json,
# .claude/mcp-needs-auth-cache.json and the MCP logs here (meta.json says when,
# where and what the session did).
set -euo pipefail
cd "$(dirname "$0")/../../../integration"
MCPMEND_UPDATE_FIXTURE=1 go test -count=1 -run '^TestClaudeCodeStateLive$' .
