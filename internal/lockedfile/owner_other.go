//go:build !unix

package lockedfile

import "io/fs"

// keepOwner is a no-op where files have no unix owner.
func keepOwner(string, string) error { return nil }

// InheritOwner is a no-op where files have no Unix owner.
func InheritOwner(string) error { return nil }

// nlink is 1 where hard links are not counted here (Windows: an atomic
// replace there keeps no other name's content either way, and the stores
// mcpmend writes are not hard-linked by the programs that own them).
func nlink(fs.FileInfo) uint64 { return 1 }

// linkOwnerMayWrite allows every link where files have no Unix owner.
func linkOwnerMayWrite(string, string) (bool, int, int) { return true, 0, 0 }
