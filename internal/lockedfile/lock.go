// Package lockedfile edits files that other programs edit too. It speaks the
// lock protocol of npm's proper-lockfile, which Claude Code uses for
// ~/.claude.json and .credentials.json (a lock is a directory created with
// mkdir, kept fresh by touching its mtime, abandoned when its mtime is older
// than a stale time), and replaces files atomically, refusing when a file
// changed underneath since it was read. A replace keeps the file's owner
// when root writes a user's file (KeepOwner), and never splits a link: a
// symlink is written through or refused, a hard-linked file refused (Links).
//
// It is the one place where mcpmend writes a file another program owns;
// registry's config editor and cache's store mutations both go through it.
package lockedfile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/mcpmend/mcpmend/internal/crashpoint"
)

// DefaultStale is proper-lockfile's default stale time (options.stale absent:
// 10 s), which Claude Code uses for ~/.claude.json.lock. Read from the bundled
// lock module of Claude Code 2.1.328: `"stale" in o ? max(o.stale, 2000) : 1e4`.
const DefaultStale = 10 * time.Second

// minStale is proper-lockfile's floor for an explicit stale time.
const minStale = 2 * time.Second

// DirLock describes a proper-lockfile lock directory.
type DirLock struct {
	// Path is the lock directory, e.g. ~/.claude.json.lock.
	Path string
	// Stale is the age of the directory's mtime after which the lock is
	// abandoned and may be taken over. 0 means DefaultStale.
	Stale time.Duration
	// Wait bounds how long Acquire retries while the lock is held and fresh
	// before refusing. 0 means the stale time: a lock still held after that
	// long is being refreshed by a live writer.
	Wait time.Duration
	// Owner names who usually holds the lock, for messages ("Claude Code").
	Owner string
	// OwnerFile, for locks only mcpmend uses, records pid and host inside
	// the directory: messages name the holder, and a holder that died on
	// this host is taken over at once. Never set it for another program's
	// lock: proper-lockfile removes its lock with rmdir, which fails on a
	// directory that is not empty.
	OwnerFile bool
}

func (l DirLock) stale() time.Duration {
	if l.Stale <= 0 {
		return DefaultStale
	}
	return max(l.Stale, minStale)
}

func (l DirLock) wait() time.Duration {
	if l.Wait <= 0 {
		return l.stale()
	}
	return l.Wait
}

// LockedError reports a lock held by another process that stayed fresh for
// as long as Acquire was willing to wait. Nothing was changed.
type LockedError struct {
	Path   string        // the lock directory
	Owner  string        // who holds it, as far as known
	PID    int           // holder's pid when the lock records it (mcpmend's own locks)
	Age    time.Duration // time since the holder last refreshed it
	Stale  time.Duration // after this much silence it would be taken over
	Waited time.Duration // how long Acquire waited
}

func (e *LockedError) Error() string {
	who := e.Owner
	if who == "" {
		who = "another process"
	}
	if e.PID > 0 {
		who = fmt.Sprintf("%s (pid %d)", who, e.PID)
	}
	return fmt.Sprintf("%s is held by %s: refreshed %s ago, waited %s; a lock is only taken over after %s "+
		"without refresh — nothing was changed; try again when that program is idle",
		e.Path, who, e.Age.Round(time.Millisecond), e.Waited.Round(time.Millisecond), e.Stale)
}

// CompromisedError reports that a held lock was taken over or removed by
// someone else (we stalled past the stale time); whatever the holder was
// about to write must not be written.
type CompromisedError struct {
	Path   string
	Reason string
}

func (e *CompromisedError) Error() string {
	return fmt.Sprintf("lock %s was lost (%s); nothing more was written", e.Path, e.Reason)
}

// Held is an acquired lock. Its mtime is refreshed in the background, as
// proper-lockfile does, until Release.
type Held struct {
	lock  DirLock
	mu    sync.Mutex
	mtime time.Time // the mtime we last set
	lost  error
	stop  chan struct{}
	done  chan struct{}
}

// owner is what OwnerFile locks record.
type owner struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Started time.Time `json:"started"`
	Command string    `json:"command"`
}

const ownerName = "owner.json"

// Acquire takes the lock, retrying with jittered backoff while a live holder
// keeps it fresh (up to Wait), and taking over a lock that is stale. It never
// removes a fresh lock.
func (l DirLock) Acquire(ctx context.Context) (*Held, error) {
	start := time.Now()
	delay := 50 * time.Millisecond
	for {
		h, err := l.try()
		if err == nil {
			return h, nil
		}
		var le *LockedError
		if !errors.As(err, &le) {
			return nil, err
		}
		waited := time.Since(start)
		if waited >= l.wait() {
			le.Waited = waited
			return nil, le
		}
		sleep := min(delay+time.Duration(rand.Int64N(int64(delay))), l.wait()-waited)
		t := time.NewTimer(sleep)
		select {
		case <-ctx.Done():
			t.Stop()
			le.Waited = time.Since(start)
			return nil, fmt.Errorf("waiting for %s: %w (%v)", l.Path, ctx.Err(), le)
		case <-t.C:
		}
		delay = min(delay*2, time.Second)
	}
}

// try makes one attempt: mkdir, else judge the existing lock.
func (l DirLock) try() (*Held, error) {
	// Two rounds: the second after removing a stale lock or seeing it vanish.
	for range 3 {
		err := os.Mkdir(l.Path, 0o777)
		if errors.Is(err, fs.ErrNotExist) {
			// Claude Code creates the secure-storage directory before
			// locking in it; so do we (private, as it holds credentials).
			if err = MkdirAll(filepath.Dir(l.Path), 0o700); err == nil {
				err = os.Mkdir(l.Path, 0o777)
			}
		}
		if err == nil {
			_ = InheritOwner(l.Path) // root's lock in a user's ~/.claude stays removable by them
			return l.claimed()
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("lock %s: %w", l.Path, err)
		}
		fi, err := os.Stat(l.Path)
		if errors.Is(err, fs.ErrNotExist) {
			continue // released between our mkdir and stat
		}
		if err != nil {
			return nil, fmt.Errorf("lock %s: %w", l.Path, err)
		}
		age := time.Since(fi.ModTime())
		o, hasOwner := l.readOwner()
		dead := hasOwner && o.Host == hostname() && !pidAlive(o.PID)
		if age <= l.stale() && !dead && !l.ownerless(hasOwner, age) {
			le := &LockedError{Path: l.Path, Owner: l.Owner, Age: max(age, 0), Stale: l.stale()}
			if hasOwner {
				le.PID = o.PID
				if o.Command != "" {
					le.Owner = o.Command
				}
			}
			return nil, le
		}
		if err := l.takeOver(fi.ModTime()); err != nil {
			return nil, err
		}
	}
	return nil, &LockedError{Path: l.Path, Owner: l.Owner, Stale: l.stale()}
}

// takeOver removes an abandoned lock. It re-checks the mtime right before
// removing so a lock another taker just re-created is left alone (the window
// that remains is the same one proper-lockfile itself has).
func (l DirLock) takeOver(seen time.Time) error {
	fi, err := os.Stat(l.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("lock %s: %w", l.Path, err)
	}
	if !fi.ModTime().Equal(seen) {
		return nil // refreshed or re-created meanwhile: judge it again
	}
	if err := l.removeDir(); err != nil {
		return fmt.Errorf("taking over stale lock %s: %w", l.Path, err)
	}
	return nil
}

// ownerGrace is how long an OwnerFile lock directory may lack its owner
// file before it counts as abandoned. Only mcpmend creates such locks, and
// it writes the owner file right after the mkdir (write, fsync, rename);
// a directory still without one after this long was left by a creator that
// died or failed in between (SIGKILL, a full disk), and is taken over at
// once instead of after the lock's whole stale time. The grace is not zero
// so a live creator busy in its fsync is never robbed. Other programs'
// locks (proper-lockfile: Claude Code's ~/.claude.json.lock and
// .storage-write.lock) never have an owner file — a bare directory is
// their whole protocol — so for them only the stale time counts, as in
// proper-lockfile itself.
const ownerGrace = 2 * time.Second

// ownerless reports an OwnerFile lock whose owner file is missing or
// unreadable past ownerGrace.
func (l DirLock) ownerless(hasOwner bool, age time.Duration) bool {
	return l.OwnerFile && !hasOwner && age > ownerGrace
}

// claimed finishes a successful mkdir: set our mtime, record the owner and
// start refreshing.
func (l DirLock) claimed() (*Held, error) {
	h := &Held{lock: l, stop: make(chan struct{}), done: make(chan struct{})}
	if l.OwnerFile {
		crashpoint.Hit("lock-before-owner")
		if err := l.writeOwner(); err != nil {
			_ = h.removeDir() // never leave an owner-less directory behind
			return nil, fmt.Errorf("lock %s: %w", l.Path, err)
		}
	}
	if err := h.touch(); err != nil {
		h.removeDir()
		return nil, fmt.Errorf("lock %s: %w", l.Path, err)
	}
	go h.refresh()
	return h, nil
}

// writeOwner records this process in the lock directory. The record is
// published whole (temp file, fsync, no-replace rename), so a reader never
// sees half of it, and a creator that lost its directory to a takeover
// cannot write into the next holder's.
func (l DirLock) writeOwner() error {
	exe, _ := os.Executable()
	b, _ := json.Marshal(owner{PID: os.Getpid(), Host: hostname(), Started: time.Now(), Command: filepath.Base(exe)})
	return Publish(filepath.Join(l.Path, ownerName), b, 0o600)
}

func (l DirLock) readOwner() (owner, bool) {
	var o owner
	if !l.OwnerFile {
		return o, false
	}
	b, err := os.ReadFile(filepath.Join(l.Path, ownerName))
	if err != nil || json.Unmarshal(b, &o) != nil || o.PID <= 0 {
		return o, false
	}
	return o, true
}

// touch sets the lock's mtime to now and remembers what the filesystem stored
// (its precision may be coarser than ours).
func (h *Held) touch() error {
	now := time.Now()
	if err := os.Chtimes(h.lock.Path, now, now); err != nil {
		return err
	}
	fi, err := os.Stat(h.lock.Path)
	if err != nil {
		return err
	}
	h.mu.Lock()
	h.mtime = fi.ModTime()
	h.mu.Unlock()
	return nil
}

// refresh keeps the lock fresh every stale/2 (at least 1 s), as
// proper-lockfile's `update` does, and notices a takeover.
func (h *Held) refresh() {
	defer close(h.done)
	every := max(h.lock.stale()/2, time.Second)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-t.C:
			if err := h.check(); err != nil {
				return
			}
			if err := h.touch(); err != nil {
				h.setLost(err.Error())
				return
			}
		}
	}
}

func (h *Held) setLost(reason string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.lost == nil {
		h.lost = &CompromisedError{Path: h.lock.Path, Reason: reason}
	}
}

// check confirms the lock directory still carries our mtime.
func (h *Held) check() error {
	h.mu.Lock()
	lost, want := h.lost, h.mtime
	h.mu.Unlock()
	if lost != nil {
		return lost
	}
	fi, err := os.Stat(h.lock.Path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		h.setLost("the lock directory was removed")
	case err != nil:
		h.setLost(err.Error())
	case !fi.ModTime().Equal(want):
		h.setLost("another process took it over as stale")
	default:
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.lost
}

// Check returns nil while the lock is still ours; call it right before a
// write is committed.
func (h *Held) Check() error { return h.check() }

// Release stops refreshing and removes the lock directory, unless it was
// lost to another process (then it is theirs and stays).
func (h *Held) Release() error {
	select {
	case <-h.stop:
		return nil // already released
	default:
	}
	close(h.stop)
	<-h.done
	if err := h.check(); err != nil {
		return err
	}
	return h.removeDir()
}

func (h *Held) removeDir() error {
	if err := h.lock.removeDir(); err != nil {
		return fmt.Errorf("release %s: %w", h.lock.Path, err)
	}
	return nil
}

// removeDir removes the lock directory: for an OwnerFile lock first the
// owner file and any temp file of it a killed writer left (the directory
// must be empty to go), for another program's lock only the directory —
// whatever else is in it is not ours.
func (l DirLock) removeDir() error {
	if l.OwnerFile {
		entries, _ := os.ReadDir(l.Path)
		for _, e := range entries {
			if n := e.Name(); n == ownerName || strings.HasPrefix(n, ownerName+".tmp.") {
				_ = os.Remove(filepath.Join(l.Path, n))
			}
		}
	}
	if err := os.Remove(l.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

func hostname() string {
	h, _ := os.Hostname()
	return h
}
