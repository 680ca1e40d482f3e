// Package mutation holds the record removals several stores share, each a
// journal.Mutation: JSONDelete (keys out of a JSON file, under the owner's
// lock, in the owner's formatting), KeychainDelete (the same inside a macOS
// Keychain item) and FileDelete (whole files, such as mcp-remote's); and the
// config Editor, the one writer of a client's configuration file (an entry
// added or removed under the owner's lock, the old content backed up), which
// the installer needs and registry, read only, does not have. Every
// write goes through internal/lockedfile; the kinds register with the journal
// when the package is imported.
package mutation
