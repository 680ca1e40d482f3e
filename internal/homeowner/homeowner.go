// Package homeowner decides whether this process may write the stores in a
// home at all. Run as root on a user's home (`sudo mcpmend reset`, or
// `--home /home/alice`), every file mcpmend replaced used to become root's:
// Claude Code, running as the user, then could not read its own
// .credentials.json and signed the user out. So a reset, undo or
// apply-pending on a home that belongs to another user than the effective
// one is refused, with the reason, unless the caller says --as-owner — and
// then only root may go on, and every file it writes keeps the user's
// owner and group (lockedfile.WriteOptions.KeepOwner, lockedfile.MkdirAll).
package homeowner

import "fmt"

// Flag is the command-line flag that states the intent to write another
// user's home as root, keeping its ownership.
const Flag = "--as-owner"

// ForeignError refuses to write a home that belongs to another user.
// Nothing was changed.
type ForeignError struct {
	Home  string // the home
	Owner string // who owns it, e.g. "alice (uid 1000)"
	User  string // who mcpmend runs as, e.g. "root (uid 0)"
	// AsOwner is true when --as-owner was given but mcpmend is not root:
	// only root can give a file to another user.
	AsOwner bool
}

func (e *ForeignError) Error() string {
	if e.AsOwner {
		return fmt.Sprintf("%s belongs to %s, and mcpmend runs as %s: %s needs root (only root can keep another user's files theirs); nothing was changed — run mcpmend as %s",
			e.Home, e.Owner, e.User, Flag, e.Owner)
	}
	return fmt.Sprintf("%s belongs to %s, but mcpmend runs as %s: the files a reset, undo or apply-pending writes there would belong to %s, "+
		"and the programs that own them, running as %s, could no longer use them (Claude Code would sign the user out); nothing was changed — "+
		"run mcpmend as %s, or as root pass %s to write them keeping %s as their owner",
		e.Home, e.Owner, e.User, e.User, e.Owner, e.Owner, Flag, e.Owner)
}
