//go:build !linux && !windows

package lockedfile

// renameNoReplace moves src to dst unless dst exists (fs.ErrExist), by
// link+unlink.
func renameNoReplace(src, dst string) error { return linkNoReplace(src, dst) }
