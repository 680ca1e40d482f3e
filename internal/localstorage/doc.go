// Package localstorage reads and edits Chromium's Local Storage LevelDB, the
// database Electron apps such as Claude Desktop keep under
// <userData>/Local Storage/leveldb. It knows nothing of MCP: callers pass the
// directory and a Classify func that picks the rows they care about.
//
// # On disk
//
// The directory holds CURRENT, MANIFEST-*, *.log, *.ldb, LOCK and LOG; the
// comparator is leveldb.BytewiseComparator and blocks are Snappy, so
// goleveldb reads it. IndexedDB directories (*.indexeddb.leveldb) use the
// comparator idb_cmp1: goleveldb refuses them with an ErrCorrupted naming
// "field 'comparer'", which means "foreign format, skip" (ErrForeignFormat),
// not "damaged". Session Storage is not read.
//
// Rows (rows.go): VERSION = "1"; META:<storage-key> (protobuf: field 1 is
// the last modification in µs since 1601, field 2 the size in bytes);
// METAACCESS:<storage-key>; and items, _<storage-key>\x00<encoded key> →
// <encoded value>. The storage key is the origin without a trailing slash
// ("https://claude.ai", "file://", "app://…"), and for partitioned storage
// origin + "/^0" + top-level site: split at the first \x00, never hard-code
// an origin. Strings are encoded with a first byte 0x01 for Latin-1 (one byte
// per character, not UTF-8: "café" is caf\xE9) or 0x00 for UTF-16LE. One
// emoji anywhere in a JSON value makes the whole value UTF-16LE, so a raw
// byte search for a name misses it: decode first. Chromium recomputes a
// META size on its next write, so a stale size after deletes is harmless;
// when every item of an origin is deleted its META:/METAACCESS: rows go too,
// as localStorage.clear() does.
//
// # Locking — the dangerous part
//
// Chromium holds a POSIX fcntl(F_SETLK) write lock on LOCK in the browser
// process; goleveldb locks with flock. On Linux the two do not conflict:
// goleveldb opens a live database without error, and a read-write open then
// deletes the log and manifest Chromium is writing — data loss after the next
// restart. So the owner is detected here (lock.go): F_SETLK on LOCK fails with
// EAGAIN while the app runs, F_GETLK names the holder's pid for the message,
// and a probe releases the lock at once. goleveldb against goleveldb returns
// a raw EWOULDBLOCK, not storage.ErrLocked. If the app starts while the lock
// is held here, its session sees an empty in-memory localStorage; the file on
// disk is untouched.
//
// On Windows Chromium's LevelDB environment locks LOCK with base::File::Lock,
// that is LockFileEx(LOCKFILE_EXCLUSIVE_LOCK|LOCKFILE_FAIL_IMMEDIATELY) over
// the whole range, for as long as the database is open (package winlock).
// There is no F_GETLK: ProbeLock takes the same lock and releases it at once,
// so only a reset probes (Blocked, Apply); readers report the lock as unknown
// and read a copy. TakeLock holds it through the edit, which never opens the
// live directory with goleveldb (goleveldb's Windows open of LOCK is
// exclusive and would clash with that handle).
//
// # Reading while the app runs
//
// ScanDir never opens the live directory: it copies every file but LOCK to a
// private directory (finished tables hard-linked where possible), opens the
// copy read-only and strict, iterates fully, checks the iterator's error and
// the tables against the manifest, and retries up to ReadAttempts times on a
// fresh copy while the app may be writing: tables open lazily, so a torn copy
// can fail only during iteration. A copy is never written back. Under real
// Chromium load every one of 3,590 copies read cleanly.
//
// # Editing
//
// install.go is the one commit point that writes the live directory. An edit:
//
//  1. probes the fcntl lock and refuses with "quit <app> first (pid N)" when
//     it is held;
//  2. backs the whole directory up;
//  3. holds the fcntl lock for the whole edit;
//  4. validates before writing: a read-only strict open (ErrorIfMissing,
//     opt.StrictAll) iterated in full, and the tables the manifest references
//     compared with the *.ldb files present — a truncated manifest otherwise
//     opens "fine" showing a fraction of the data, and a read-write open would
//     make that loss permanent;
//  5. edits a staging copy: read-write with ErrorIfMissing (without it a
//     wrong path silently creates an empty database), one Sync batch, then a
//     compaction and a second open so deleted values leave the tables, and
//     installs it into the live directory with CURRENT replaced last;
//  6. re-reads the result strictly and confirms only the intended rows are
//     gone; on any failure it restores the backup. A damaged database makes
//     Chromium delete and recreate all of Local Storage, so this step is not
//     optional.
//
// Chromium accepts goleveldb-written manifests and tables (verified: it
// reopened them, the deleted keys gone, the others intact).
//
// # Undo
//
// Undo puts the removed rows back into the database as it is now, so that
// whatever the app wrote since the reset stays. It reads a staging copy of
// the live directory the strict way first. When that fails:
//
//   - Whole replace, only when the damage is provably mcpmend's own: CURRENT
//     still names the manifest the last install wrote, every file it
//     installed has the size and sha256 recorded in its install record, and
//     no manifest, log or table is numbered above them (OwnInstall). The app
//     has then not written a byte since, and the backup that install
//     recorded is put back whole.
//   - Otherwise the copy is read the way LevelDB reads it (tornlog.go): a
//     newest log ending in a write cut short — a header or chunk running
//     past the end, a record whose last part never came, zeros — is what a
//     killed app leaves, and LevelDB (like goleveldb's recovery without
//     StrictJournal) reads it as a clean end. The copy's log is cut right
//     after its last complete record, read strictly again, and the rows go
//     back through the one commit point above. The tail Chromium would drop
//     is dropped; nothing LevelDB would read is.
//   - Anything else — unreadable bytes followed by readable ones, a damaged
//     or missing table, a manifest that disagrees — refuses with the
//     directory and what was found, and nothing changes. Guessing would
//     either lose the app's newer writes or install a database LevelDB does
//     not read. (A torn tail the app appended to after a restart — Chromium
//     reuses its log — is such a case: LevelDB skips the rest of that 32 KiB
//     block and reads on, dropping whatever it held. Undo does not drop it
//     for the app; once the app has flushed that log into a table, the log
//     is gone and undo works again.)
//
// goleveldb never opens the live directory for this either: the cut and
// both reads are on the private copy. A reset's Verify reads the same way
// while the app is not running (while it runs, a torn tail may be a write in
// progress, and the strict read is retried instead).
//
// # Making real fixtures
//
// Debian's chromium runs headless as root with --headless --no-sandbox
// --disable-gpu and the background-networking flags on a fresh
// --user-data-dir (internal/chromiumtest drives it). Chromium commits
// localStorage about 5 s after a write and flushes its log to an .ldb table
// 60 s after opening the database; Browser.close or SIGTERM flush too.
// Reopening the profile and reading localStorage from a page is how an edit
// is verified by the real engine.
//
// The facts above were measured on Debian Chromium 156 with goleveldb
// v1.0.1-0.20220721030215-126854af5e6d; macOS and Windows notes come from
// reading source and are unverified.
package localstorage
