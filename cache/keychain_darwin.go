//go:build darwin

package cache

// platformKeychain is the real Keychain: on macOS Claude Code keeps its
// credentials there, with .credentials.json only as a fallback.
func platformKeychain() *Keychain { return &Keychain{Security: "/usr/bin/security"} }
