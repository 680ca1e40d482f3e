// Package winlock speaks Chromium's LevelDB lock on Windows. Chromium's
// LevelDB environment locks `<db>/LOCK` with base::File::Lock, which on
// Windows is LockFileEx(LOCKFILE_EXCLUSIVE_LOCK|LOCKFILE_FAIL_IMMEDIATELY)
// over the whole file range [0, 2^64-1), held for as long as the database is
// open; upstream LevelDB's own Windows environment uses LockFile over the
// same range and opens LOCK sharing only reading. Either way, while Claude
// Desktop runs, an exclusive LockFileEx on the same range from another
// handle fails at once with ERROR_LOCK_VIOLATION (or the open fails with
// ERROR_SHARING_VIOLATION), and Windows drops the lock when the holder exits,
// even when it is killed.
//
// Unlike Unix's F_GETLK there is no way to ask about a byte-range lock
// without trying to take it, so Probe takes it for an instant and releases
// it; an app starting in that instant fails to open its Local Storage for
// the session, the same as it would while an edit holds the lock. The
// holder's pid is not known (0).
//
// The package builds only on Windows; elsewhere it is empty.
package winlock
