//go:build !unix

package lockedfile

// keepOwner is a no-op where files have no unix owner.
func keepOwner(string, string) error { return nil }
