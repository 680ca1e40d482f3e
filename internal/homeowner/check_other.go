//go:build !unix

package homeowner

// Check passes where files have no Unix owner (Windows: a home is reached
// through the user's own profile and ACLs, and mcpmend never runs as
// another user there).
func Check(string, bool) error { return nil }
