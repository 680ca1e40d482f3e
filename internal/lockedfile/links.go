package lockedfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Links says what a write does when the file's name is a link — a dotfiles
// manager's symlink, or a second hard link — so that a replace never splits
// the user's file into a stale copy and a plain file.
//
// Hard links are refused in every mode: an atomic replace (a new inode
// renamed over the name) would leave the other names with the old content,
// and writing in place instead is not crash-safe (a crash, a full disk or a
// reader without the lock — Claude Code reads .credentials.json without it —
// sees a torn file under every name). Claude Code itself breaks such links
// on its next write (2.1.328 replaces ~/.claude.json and .credentials.json
// by rename), so the refusal names the count and the way out.
type Links int

const (
	// RefuseLinks refuses a name that is a symlink or has other hard links
	// (the default; for files whose owner does not write through a link).
	RefuseLinks Links = iota
	// FollowSymlinks writes through a symlink: the link's final target is
	// replaced atomically in its own directory, keeping its mode and owner,
	// and the link stays. For files whose owner writes through links too
	// (Claude Code's ~/.claude.json, files rewritten in place).
	FollowSymlinks
	// ReplaceName replaces the name whatever it is, as before links were
	// looked at: for files whose owner itself only ever replaces them by
	// rename, and whose other hard links can only be mcpmend's own
	// snapshots (a Chromium LevelDB's tables, linked into a staging copy).
	ReplaceName
)

// LinkError reports a store file mcpmend will not replace because of a
// link. Nothing was written.
type LinkError struct {
	Path   string // the name mcpmend was asked to write
	Target string // the symlink's target, when it is one
	NLink  uint64 // hard links, when more than one
	Why    string // what the owning program does with the link, when known
	// Foreign is set when root was asked to write through a link to a file
	// of another owner than the link's directory: LinkUID, TargetUID.
	Foreign            bool
	LinkUID, TargetUID int
}

func (e *LinkError) Error() string {
	var what, fix string
	switch {
	case e.Foreign:
		return fmt.Sprintf("%s is a symlink to %s, which belongs to uid %d, not to uid %d who owns the link's directory: "+
			"as root, mcpmend never writes through a link into another owner's file; nothing was written", e.Path, e.Target, e.TargetUID, e.LinkUID)
	case e.NLink > 1:
		what = fmt.Sprintf("has %d hard links", e.NLink)
		fix = "replacing it would leave the other names with the old content and writing it in place is not crash-safe"
	case e.Target == "":
		what = "is a symlink whose target does not exist"
		fix = "there is nothing to write through to"
	default:
		what = "is a symlink to " + e.Target
		fix = "replacing it would put a plain file in place of the link"
	}
	msg := fmt.Sprintf("%s %s: %s; nothing was written", e.Path, what, fix)
	if e.Why != "" {
		msg += " (" + e.Why + ")"
	}
	return msg + " — make it a plain file (or, for a symlink, point it at the file) and run again"
}

// Resolve returns the file a write to path must replace: path itself when
// it is a plain file with one link or absent; under FollowSymlinks, the
// final target of a symlink. Otherwise it returns a *LinkError.
func Resolve(path string, links Links) (string, error) {
	if links == ReplaceName {
		return path, nil
	}
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return path, nil
	}
	if err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	target := path
	if fi.Mode()&fs.ModeSymlink != 0 {
		if target, err = followLink(path, links); err != nil {
			return "", err
		}
		if fi, err = os.Lstat(target); err != nil {
			return "", fmt.Errorf("write %s (through its symlink to %s): %w", path, target, err)
		}
	}
	if n := nlink(fi); n > 1 && fi.Mode().IsRegular() {
		return "", &LinkError{Path: path, NLink: n}
	}
	return target, nil
}

// followLink resolves the symlink at path, or refuses it.
func followLink(path string, links Links) (string, error) {
	target, err := filepath.EvalSymlinks(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", &LinkError{Path: path}
	}
	if err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	if links != FollowSymlinks {
		return "", &LinkError{Path: path, Target: target}
	}
	if ok, lu, tu := linkOwnerMayWrite(path, target); !ok {
		return "", &LinkError{Path: path, Target: target, Foreign: true, LinkUID: lu, TargetUID: tu}
	}
	return target, nil
}

// CheckLinks reports, without writing, whether a write to path under links
// would be refused (a reset's plan refuses up front, naming the link).
func CheckLinks(path string, links Links) error {
	_, err := Resolve(path, links)
	return err
}
