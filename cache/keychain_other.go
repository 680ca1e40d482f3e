//go:build !darwin

package cache

// platformKeychain is nil off macOS: Claude Code keeps credentials only in
// .credentials.json there.
func platformKeychain() *Keychain { return nil }
