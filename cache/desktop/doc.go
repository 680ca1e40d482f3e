// Package desktop is Claude Desktop's memory of servers: items in its
// Electron Local Storage whose key names a server. It finds the databases
// (every OS's user-data directory, Microsoft Store installs included),
// classifies rows with a NameMatcher (a key naming the server exactly is the
// server's; another case, or a mention inside a value, is only reported),
// turns matches into redacted records, and plans a reset as a Delete that
// edits the database through internal/localstorage's commit point — only
// while Claude Desktop is not running, waiting for it to quit otherwise.
package desktop
