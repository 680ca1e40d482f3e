// Package keychain reads, adds and deletes macOS Keychain generic passwords
// through security(1), the way Claude Code does (the same `security -i`
// commands, the same 4032-byte line limit, the same exit status 44 for a
// missing item). It runs the executable it is given, so tests on every OS
// drive it against a stand-in; Platform returns the real one on macOS and
// nil elsewhere.
package keychain
