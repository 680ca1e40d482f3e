// Package credentials is Claude Code's credential store: .credentials.json in
// the config home and, on macOS, the same JSON in a Keychain item. It holds
// the per-server OAuth entries (tokens, client registrations) and the stamps
// of gates B (tokenless rejection) and C (registration not offered). It
// parses both as Claude Code does, judges the gates, inspects them into
// records and plans a reset: the stamps always, tokens and client secrets
// only when asked to forget them, entries of servers no scope still
// configures as orphans.
package credentials
