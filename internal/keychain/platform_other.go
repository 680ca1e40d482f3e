//go:build !darwin

package keychain

// Platform is nil off macOS: Claude Code keeps credentials only in
// .credentials.json there.
func Platform() *Client { return nil }
