//go:build !unix

package lockedfile

// ChownTree does nothing where files have no Unix owner.
func ChownTree(string, int, int) error { return nil }
