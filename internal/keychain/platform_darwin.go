//go:build darwin

package keychain

// Platform is the real Keychain: on macOS Claude Code keeps its
// credentials there, with .credentials.json only as a fallback.
func Platform() *Client { return &Client{Security: "/usr/bin/security"} }
