package lockedfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/mcpmend/mcpmend/internal/crashpoint"
)

// Replacing a file whose owner rewrites it in place with no lock at all
// (Claude Code's needs-auth cache: open with O_TRUNC, write, close):
//
// A re-read right before a rename still leaves a window between the two in
// which an owner's write is lost, because the rename unlinks the file the
// owner just wrote (measured: about 1 in 1,000 writes at 1,100 writes/s).
// ReplaceUnlocked closes it by never unlinking what it has not read:
//
//   - Where Exchange works (Linux renameat2 RENAME_EXCHANGE, macOS
//     renamex_np RENAME_SWAP), the new content is swapped in and the file
//     that was live is then still there, under the temp name, to be read.
//     If it is not exactly the content the edit was computed from, the owner
//     wrote in between: Merge folds their write into ours and the result is
//     swapped in again, and so on (bounded). An owner that had truncated the
//     old file before the swap but not yet written it is waited for (the
//     file is read until Complete accepts it).
//   - Elsewhere (Windows, file systems without the call) the live file is
//     held open from the re-read to past the rename; an in-place write into
//     it lands in the held file and is merged the same way. The remaining
//     window: a writer that replaces the file by rename (not Claude Code's
//     way for this file) between the final stat and the rename is lost; on
//     Windows, where a held file cannot be renamed over, the check is a
//     re-read right before the rename, and an in-place write after that
//     re-read is lost.
//   - An owner that writes faster than a round takes (a read, a merge, a
//     temp file, an exchange) keeps overtaking it. After maxMergeRounds
//     rounds or mergeBudget the replacement gives up: with the owner's file
//     in place and nothing of ours it must keep missing from it, as a
//     *ChangedError (nothing changed); otherwise the merged version is saved
//     beside the file and named in the error — never dropped.
//   - Right before each exchange the live file is read once more, and a
//     change merged first, so that what is placed is never behind it; a
//     swapped-out file holding an owner's write is exchanged back at once,
//     so the owner's next read sees its own write.
//   - What remains: an owner that read the file before the exchange and
//     writes after it writes a copy made from its older read. It undoes
//     our edit (Verify then reports that the reset did not hold), and, if
//     its read fell in the moment one of its own writes was swapped out,
//     drops that write. Measured with a writer at 1,100 in-place writes/s
//     on a loaded 2-core machine: 5 of 20,011 writes lost this way, against
//     30 of 20,002 for a re-read then rename (cache/needsauth's
//     TestNeedsAuthRaceFigures); Claude Code writes its needs-auth cache
//     once per server that answers 401, far below that rate.

// Content is a file's bytes, or its absence.
type Content struct {
	Exists bool
	Data   []byte
}

func (c Content) equal(o Content) bool {
	return c.Exists == o.Exists && bytes.Equal(c.Data, o.Data)
}

// Unlocked tells ReplaceUnlocked how to recognise and merge the owner's
// writes.
type Unlocked struct {
	// Complete reports whether b is a whole file as the owner writes it
	// (JSON that parses): a shorter read is an owner's write in progress
	// and is read again, for up to settleBudget. Nil accepts anything.
	Complete func(b []byte) bool
	// Merge returns ours with the owner's change folded in: theirs is what
	// the file held where base was expected. It must keep every entry the
	// owner wrote.
	Merge func(base, theirs, ours Content) ([]byte, error)
	// NoExchange takes the portable path even where Exchange works (tests,
	// and file systems known to implement the call wrongly).
	NoExchange bool
}

const (
	// maxMergeRounds bounds how many interleaved owner writes one
	// replacement merges before it gives up.
	maxMergeRounds = 200
	// mergeBudget bounds the time spent merging likewise.
	mergeBudget = 3 * time.Second
	// settleBudget is how long a file an owner has truncated but not yet
	// rewritten is waited for.
	settleBudget = 2 * time.Second
	// holdAcrossRename: only Windows refuses to rename over a file we hold.
	holdAcrossRename = runtime.GOOS != "windows"
)

// ReplaceUnlocked replaces path, expected to hold expect, with data for a
// file its owner writes without a lock, merging the writes the owner makes
// meanwhile instead of unlinking them (see the comment above Content, and
// what is left there). opt's Perm, KeepOwner and
// BeforeRename apply as in WriteFile; Expect is ignored (expect is used).
func ReplaceUnlocked(path string, expect Snapshot, data []byte, opt WriteOptions, u Unlocked) error {
	path, err := Resolve(path, opt.Links) // a symlink is written through, or refused, as WriteFile does
	if err != nil {
		return err
	}
	r := &unlocked{path: path, opt: opt, u: u, perm: opt.Perm}
	if r.perm == 0 {
		r.perm = 0o600
		if expect.Exists && expect.Mode != 0 {
			r.perm = expect.Mode
		}
	}
	base, ours := Content{Exists: expect.Exists, Data: expect.Data}, data
	deadline := time.Now().Add(mergeBudget)
	for round := 1; ; round++ {
		got, swapped, err := r.swap(base, ours)
		if err != nil {
			return err
		}
		oursNow := Content{Exists: true, Data: ours}
		if swapped && got.equal(base) {
			return syncPlaced(path)
		}
		next, err := u.Merge(base, got, oursNow)
		if err != nil {
			if swapped {
				return r.keep(got, err) // theirs is off the path: never drop it
			}
			return err
		}
		if round >= maxMergeRounds || time.Now().After(deadline) {
			return r.giveUp(round, swapped, got, next)
		}
		if swapped {
			base = oursNow
		} else {
			base = got
		}
		ours = next
	}
}

// giveUp ends a replacement that an owner writing faster than it can merge
// kept overtaking. When the path holds the owner's file (not swapped),
// nothing of theirs is lost: a *ChangedError, and the edit is not (or no
// longer) in place. Otherwise the owner's last write sits only in the
// merged version, which is saved beside the file and named.
func (r *unlocked) giveUp(rounds int, swapped bool, got Content, merged []byte) error {
	if !swapped {
		return &ChangedError{Path: r.path, What: fmt.Sprintf("another program rewrote it in each of %d attempts", rounds)}
	}
	return r.keep(Content{Exists: true, Data: merged}, fmt.Errorf("another program rewrote it in each of %d attempts while mcpmend replaced it", rounds))
}

// unlocked is one ReplaceUnlocked call.
type unlocked struct {
	path       string
	opt        WriteOptions
	u          Unlocked
	perm       fs.FileMode
	noExchange bool // Exchange failed with ErrNoExchange once
}

// swap puts ours at the path and returns what the path held right before
// it. swapped is false when nothing was placed because the path no longer
// held base; got is then what it holds instead.
func (r *unlocked) swap(base Content, ours []byte) (got Content, swapped bool, err error) {
	if !base.Exists {
		return r.create(ours)
	}
	if !r.u.NoExchange && !r.noExchange {
		got, swapped, err = r.exchange(base, ours)
		if !errors.Is(err, ErrNoExchange) {
			return got, swapped, err
		}
		r.noExchange = true
	}
	return r.replaceHeld(base, ours)
}

// temp writes ours to a synced temp file beside the path, with the mode
// (and owner) the path should have.
func (r *unlocked) temp(ours []byte) (string, error) {
	tmp, err := tempName(r.path)
	if err != nil {
		return "", err
	}
	if err := writeUnsynced(tmp, ours, r.perm); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("write %s: %w", r.path, err)
	}
	if r.opt.KeepOwner {
		if err := keepOwner(tmp, r.path); err != nil {
			os.Remove(tmp)
			return "", err
		}
	}
	if r.opt.BeforeRename != nil {
		if err := r.opt.BeforeRename(); err != nil {
			os.Remove(tmp)
			return "", err
		}
	}
	return tmp, nil
}

// create publishes ours where there was no file, never replacing one the
// owner created meanwhile.
func (r *unlocked) create(ours []byte) (Content, bool, error) {
	tmp, err := r.temp(ours)
	if err != nil {
		return Content{}, false, err
	}
	crashpoint.Hit("atomic-before-rename")
	err = renameNoReplace(tmp, r.path)
	if errors.Is(err, fs.ErrExist) {
		os.Remove(tmp)
		snap, err := Read(r.path)
		return Content{Exists: snap.Exists, Data: snap.Data}, false, err
	}
	if err != nil {
		os.Remove(tmp)
		return Content{}, false, fmt.Errorf("create %s: %w", r.path, err)
	}
	crashpoint.Hit("atomic-after-rename")
	return Content{}, true, nil
}

// exchange swaps ours in and reads the file that was live, which the
// exchange left at the temp name.
func (r *unlocked) exchange(base Content, ours []byte) (Content, bool, error) {
	tmp, err := r.temp(ours)
	if err != nil {
		return Content{}, false, err
	}
	defer os.Remove(tmp)
	// Last look, right before the exchange: what we place must not be
	// behind the live file, or an owner reading it in its moment at the
	// path writes back a copy without its own newest entries.
	if cur, err := r.settle(func() ([]byte, error) { return os.ReadFile(r.path) }); err != nil || !cur.equal(base) {
		if errors.Is(err, fs.ErrNotExist) {
			return Content{}, false, nil
		}
		return cur, false, err
	}
	crashpoint.Hit("atomic-before-rename")
	if err := Exchange(tmp, r.path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Content{}, false, nil // the owner deleted it: merge with absence
		}
		if errors.Is(err, ErrNoExchange) {
			return Content{}, false, ErrNoExchange
		}
		return Content{}, false, fmt.Errorf("replace %s: %w", r.path, err)
	}
	crashpoint.Hit("atomic-after-rename")
	got, err := r.settle(func() ([]byte, error) { return os.ReadFile(tmp) })
	if err != nil || got.equal(base) {
		return got, true, err
	}
	return r.unswap(tmp, got, ours)
}

// unswap runs when the file swapped out holds an owner's write: it is put
// back at once, so that the owner's next read sees what it wrote (an owner
// that reads our file instead writes back a copy without it), and it is
// reported as not swapped: the path holds theirs again. If an owner also
// wrote into our file in its moment at the path, that write (made from our
// content) is folded into theirs, so that it is merged too.
func (r *unlocked) unswap(tmp string, got Content, ours []byte) (Content, bool, error) {
	if err := Exchange(tmp, r.path); err != nil {
		return got, true, nil // ours stays; got is merged as usual
	}
	back, err := r.settle(func() ([]byte, error) { return os.ReadFile(tmp) })
	if err != nil {
		return Content{}, false, err
	}
	oursNow := Content{Exists: true, Data: ours}
	if back.equal(oursNow) {
		return got, false, nil // visible again; it was hidden only for this read
	}
	both, err := r.u.Merge(oursNow, back, got)
	if err != nil {
		return Content{}, false, err
	}
	return Content{Exists: true, Data: both}, false, nil
}

// replaceHeld is the portable path: the live file is held open from the
// re-read until after the rename, and read again through the descriptor.
func (r *unlocked) replaceHeld(base Content, ours []byte) (Content, bool, error) {
	f, err := os.Open(r.path)
	if errors.Is(err, fs.ErrNotExist) {
		return Content{}, false, nil
	}
	if err != nil {
		return Content{}, false, fmt.Errorf("read %s: %w", r.path, err)
	}
	defer f.Close()
	tmp, err := r.temp(ours)
	if err != nil {
		return Content{}, false, err
	}
	readHeld := func() ([]byte, error) { return io.ReadAll(io.NewSectionReader(f, 0, 1<<62)) }
	cur, err := r.settle(readHeld)
	if err != nil || !cur.equal(base) {
		os.Remove(tmp)
		return cur, false, err
	}
	if now, changed, err := r.stillHeld(f, base); err != nil || changed {
		os.Remove(tmp)
		return now, false, err
	}
	crashpoint.Hit("atomic-before-rename")
	if err := Rename(tmp, r.path); err != nil {
		os.Remove(tmp)
		return Content{}, false, fmt.Errorf("replace %s: %w", r.path, err)
	}
	crashpoint.Hit("atomic-after-rename")
	if !holdAcrossRename {
		return base, true, nil
	}
	got, err := r.settle(readHeld)
	return got, true, err
}

// stillHeld checks, right before the rename, that the path still names the
// held file (unix: fstat against stat) or, where the file cannot stay held
// (Windows), that it still reads as base; it closes f on Windows.
func (r *unlocked) stillHeld(f *os.File, base Content) (now Content, changed bool, err error) {
	if holdAcrossRename {
		held, err1 := f.Stat()
		live, err2 := os.Stat(r.path)
		if err1 == nil && err2 == nil && os.SameFile(held, live) {
			return Content{}, false, nil
		}
	} else {
		f.Close()
	}
	snap, err := Read(r.path)
	now = Content{Exists: snap.Exists, Data: snap.Data}
	return now, err != nil || !now.equal(base), err
}

// settle reads until Complete accepts the bytes or settleBudget passes: an
// owner that truncated the file is given the time to write it.
func (r *unlocked) settle(read func() ([]byte, error)) (Content, error) {
	deadline := time.Now().Add(settleBudget)
	pause := 50 * time.Microsecond
	for {
		b, err := read()
		if err != nil {
			return Content{}, fmt.Errorf("read %s: %w", r.path, err)
		}
		if r.u.Complete == nil || r.u.Complete(b) || time.Now().After(deadline) {
			return Content{Exists: true, Data: b}, nil
		}
		time.Sleep(pause)
		pause = min(2*pause, 5*time.Millisecond)
	}
}

// keep saves beside the file a version holding owner writes that could not
// be placed, so that they are never lost, and names it in the error.
func (r *unlocked) keep(theirs Content, why error) error {
	if !theirs.Exists {
		return fmt.Errorf("%s: %w", r.path, why)
	}
	name := fmt.Sprintf("%s.mcpmend-unmerged-%d", r.path, time.Now().UnixMilli())
	if err := os.WriteFile(name, theirs.Data, r.perm); err != nil {
		return fmt.Errorf("%s: %w; saving the other program's version failed too: %v", r.path, why, err)
	}
	return fmt.Errorf("%s: %w; its writes merged with mcpmend's change are kept at %s", r.path, why, name)
}

// writeUnsynced writes a temp file without fsync: between rounds every
// millisecond spent is a window for another owner write, so the file that
// stays is synced once, at the end (syncPlaced). Until then a power cut
// (not a crash of mcpmend) can cost the edit — as it can cost the owner's
// own in-place writes, which are never synced either.
func writeUnsynced(name string, data []byte, perm fs.FileMode) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(perm) // the umask may have narrowed perm
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncPlaced makes the file now at path and its directory entry durable.
func syncPlaced(path string) error {
	if f, err := os.Open(path); err == nil {
		f.Sync()
		f.Close()
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("sync directory of %s: %w", path, err)
	}
	return nil
}

// ReadComplete is Read for a file its owner rewrites in place: a read that
// complete rejects (the owner has truncated the file and not yet written
// it) is repeated for up to settleBudget before it is returned as it is.
func ReadComplete(path string, complete func([]byte) bool) (Snapshot, error) {
	deadline := time.Now().Add(settleBudget)
	pause := 50 * time.Microsecond
	for {
		snap, err := Read(path)
		if err != nil || !snap.Exists || complete(snap.Data) || time.Now().After(deadline) {
			return snap, err
		}
		time.Sleep(pause)
		pause = min(2*pause, 5*time.Millisecond)
	}
}
