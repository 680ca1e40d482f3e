package localstorage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mcpmend/mcpmend/internal/lazyre"

	"github.com/mcpmend/mcpmend/internal/privtemp"
	"github.com/syndtr/goleveldb/leveldb"
	lerrors "github.com/syndtr/goleveldb/leveldb/errors"
	"github.com/syndtr/goleveldb/leveldb/opt"
)

// ErrForeignFormat is returned for a LevelDB directory written with another
// comparator (IndexedDB's idb_cmp1): not Local Storage, not damaged — skip it.
var ErrForeignFormat = errors.New("not a Local Storage database (different LevelDB comparator)")

// Scan is what one read of a Local Storage database found.
type Scan struct {
	Dir         string                 `json:"dir"`
	Lock        LockState              `json:"lock"`    // Chromium's lock when the read began
	Version     string                 `json:"version"` // the VERSION row ("1")
	Origins     map[string]*OriginInfo `json:"origins"` // by storage key
	Items       int                    `json:"items"`
	Undecodable int                    `json:"undecodable,omitempty"` // item rows that did not decode
	Matches     []Hit                  `json:"matches,omitempty"`
	Attempts    int                    `json:"attempts"` // copies read (more than 1 when a copy was torn)
	// Leftovers are temporary copies of the database (tokens included) that
	// could not be removed after reading; each was logged at warn too.
	Leftovers []Leftover `json:"leftover_copies,omitempty"`
}

// Leftover is a temporary copy that could not be removed, and why.
type Leftover struct {
	Path  string `json:"path"`
	Error string `json:"error"`
}

// TempDirPrefix names the temporary directories reads copy a database into;
// CleanStale at the first read of a process removes the ones a killed run
// left.
const TempDirPrefix = "mcpmend-localstorage-"

// cleanOnce clears stale copies once per process, before its first read.
var cleanOnce sync.Once

// CleanStaleCopies removes the copies killed runs left in the temp
// directory — they hold Claude Desktop's tokens and hard links to its live
// tables: ours by prefix and owner, of a process no longer running (or,
// named before names carried a pid, older than privtemp.StaleAge). The
// commands that write run it at their start; every process also runs it
// before its first read.
func CleanStaleCopies() []string {
	removed, err := privtemp.CleanStale(TempDirPrefix, privtemp.StaleAge)
	for _, p := range removed {
		slog.Info("removed a temporary copy of Claude Desktop's Local Storage that an earlier run left", "path", p)
	}
	if err != nil {
		slog.Warn("could not remove a temporary copy of Claude Desktop's Local Storage (it holds tokens)", "err", err)
	}
	return removed
}

// cleanStaleCopies is CleanStaleCopies for cleanOnce.
func cleanStaleCopies() { CleanStaleCopies() }

// OriginInfo is one storage key's rows. A reset that deletes every item of
// an origin deletes its META:/METAACCESS: rows too, as localStorage.clear does.
type OriginInfo struct {
	Items     int         `json:"items"`
	Meta      *OriginMeta `json:"meta,omitempty"`
	HasAccess bool        `json:"has_access,omitempty"` // a METAACCESS: row exists
}

// Classify decides whether an item row interests the caller, from the row's
// stored key without its origin (still encoded, see DecodeString) and its
// stored value. It returns 0 for "no"; any other class is kept in Hit.Class.
// It is called for every decodable row, in parallel from several
// goroutines, so it must be cheap and safe for concurrent use.
type Classify func(encKey, value []byte) int

// Hit is one item the Classify func kept. RowKey and RowValue are the row
// exactly as stored, for a reset's delete and backup; they are never
// serialised.
type Hit struct {
	Item     Item   `json:"item"`
	Class    int    `json:"match"`
	RowKey   []byte `json:"-"`
	RowValue []byte `json:"-"`
}

// ReadAttempts is one read plus three retries, for torn copies of a database
// the app is writing (doc.go, "Reading while the app runs").
const ReadAttempts = 4

// ScanDir reads the Local Storage database in dir and returns its
// origins and the items m matches (m may be nil to only read and validate).
//
// It always reads a copy: every file but LOCK is copied to a private temp
// directory (finished tables hard-linked where the file system allows: see
// snapshotDBFiles), and the copy is opened read-only and strict, iterated in
// full (large databases in parallel key ranges: see scanRows) and checked
// table by table against its manifest. Copying even when the lock is free is
// deliberate: a goleveldb open of the live directory takes an flock on LOCK
// (which on macOS shares the lock table with Chromium's fcntl lock) and
// creates LOCK when missing, and the app may start between a probe and the
// open; linked tables make the copy cheap (see BenchmarkLocalStorageScan).
// When the app holds the lock a copy can be torn, so a failed read is retried
// on a fresh copy; a quiescent database fails the same way every time and is
// reported at once.
//
// A directory that does not exist returns an error matching fs.ErrNotExist;
// an empty one is an empty scan. A corrupted database, a truncated manifest
// or tables that disagree with the manifest return a *DamagedError — never a
// partial scan. Another comparator returns ErrForeignFormat.
func ScanDir(ctx context.Context, dir string, classify Classify) (*Scan, error) {
	if fi, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("read Local Storage %s: %w", dir, err)
	} else if !fi.IsDir() {
		return nil, &DamagedError{Dir: dir, Reason: "not a directory"}
	}
	cleanOnce.Do(cleanStaleCopies)
	lock := ProbeLockState(dir)
	var err error
	var left []Leftover
	for attempt := 1; attempt <= ReadAttempts; attempt++ {
		scan := &Scan{Dir: dir, Lock: lock, Origins: map[string]*OriginInfo{}, Attempts: attempt}
		err = readCopy(ctx, dir, scan, classify, &left)
		if err == nil || ctx.Err() != nil || errors.Is(err, ErrForeignFormat) {
			if err == nil {
				scan.Leftovers = left
				return scan, nil
			}
			break
		}
		// A quiescent database reads the same every time: only retry when
		// the app may be writing (lock held or not checkable).
		if now := ProbeLockState(dir); !now.Held && !now.Unknown && !lock.Held && !lock.Unknown {
			break
		}
		if attempt < ReadAttempts {
			select {
			case <-ctx.Done():
			case <-time.After(time.Duration(attempt) * 50 * time.Millisecond):
			}
		}
	}
	var dmg *damage
	switch {
	case errors.As(err, &dmg):
		reason := dmg.reason
		if lock.Held || lock.Unknown {
			reason += fmt.Sprintf(" (in %d copies taken while the app may have been writing)", ReadAttempts)
		}
		return nil, &DamagedError{Dir: dir, Reason: reason}
	case errors.Is(err, ErrForeignFormat):
		return nil, fmt.Errorf("read Local Storage %s: %w", dir, err)
	}
	return nil, fmt.Errorf("read Local Storage %s: %w", dir, err)
}

// damage marks an error as the database's fault rather than the reader's
// (permissions, disk, cancellation).
type damage struct{ reason string }

func (d *damage) Error() string { return d.reason }

// readCopy snapshots dir (snapshotDBFiles) into a private temp directory,
// opens the snapshot and visits every row into scan. The copy holds tokens:
// its removal is checked, and a copy left behind is logged at warn and
// added to left.
func readCopy(ctx context.Context, dir string, scan *Scan, classify Classify, left *[]Leftover) error {
	tmp, err := privtemp.Mkdir(TempDirPrefix)
	if err != nil {
		return fmt.Errorf("temp dir for a copy of %s: %w", dir, err)
	}
	// Deferred before db.Close below, so it runs after it: Windows cannot
	// delete files that are still open.
	defer func() {
		if rerr := privtemp.Remove(tmp); rerr != nil {
			slog.Warn("could not remove a temporary copy of Claude Desktop's Local Storage (it holds tokens)", "path", tmp, "err", rerr)
			*left = append(*left, Leftover{Path: tmp, Error: rerr.Error()})
		}
	}()
	n, linked, err := snapshotDBFiles(dir, tmp)
	if err != nil || n == 0 {
		return err // n == 0: an empty directory is an empty scan
	}
	present, err := listTables(tmp)
	if err != nil {
		return err
	}
	man, manErr := readManifest(tmp) // before a read-write open rewrites it
	db, replayed, err := openSnapshot(tmp, linked)
	if err != nil {
		return classifyOpenError(err, tmp, dir)
	}
	defer db.Close()
	if manErr != nil {
		return &damage{reason: manErr.Error()}
	}
	if err := checkTables(db, present, man.nextFile, replayed); err != nil {
		return err
	}
	err = scanRows(ctx, db, splitKeys(man.tables, scanWorkers(), parallelMinBytes), scan, classify)
	if err != nil && ctx.Err() == nil {
		return &damage{reason: "reading rows: " + strings.ReplaceAll(err.Error(), tmp, dir)}
	}
	return err
}

// CopyDBFiles copies every regular file of src but LOCK into dst and returns
// how many it copied. A file that vanishes mid-copy (the app compacting) is
// an error, so the caller retries on a fresh copy.
func CopyDBFiles(src, dst string) (int, error) {
	entries, err := os.ReadDir(src)
	if err != nil {
		return 0, fmt.Errorf("list %s: %w", src, err)
	}
	n := 0
	for _, e := range entries {
		if e.Name() == "LOCK" || !e.Type().IsRegular() {
			continue
		}
		if err := copyFile(filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s: %w", src, err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	return nil
}

// classifyOpenError sorts goleveldb's open errors: another comparator is a
// foreign format, corruption is damage, anything else is an I/O error.
func classifyOpenError(err error, tmp, dir string) error {
	msg := strings.ReplaceAll(err.Error(), tmp, dir)
	var ce *lerrors.ErrCorrupted
	if errors.As(err, &ce) {
		var mc *leveldb.ErrManifestCorrupted
		if errors.As(ce.Err, &mc) && mc.Field == "comparer" && strings.HasPrefix(mc.Reason, "mismatch") {
			return fmt.Errorf("%w: %s", ErrForeignFormat, msg)
		}
	}
	if lerrors.IsCorrupted(err) {
		return &damage{reason: msg}
	}
	if errors.Is(err, fs.ErrNotExist) {
		// CURRENT missing while other files exist is reported by goleveldb
		// as corruption; plain not-exist here means no database files at all.
		return &damage{reason: "no CURRENT file: " + msg}
	}
	return fmt.Errorf("open copy of %s: %s", dir, msg)
}

// openCopy opens a private copy strictly: read-only, failing on any
// corruption and on a missing database.
//
// goleveldb's read-only recovery cannot replay two logs: the journal
// reader's Reset hands back the first log's io.EOF as an error (db.go,
// recoverJournalRO), so a copy taken while the app flushes its memtable
// (frozen log plus new log) fails to open. The copy is ours alone, so in
// exactly that case it is opened read-write instead, which replays both logs
// the way LevelDB does, into a new table in the copy. Compactions are held
// off so nothing else is rewritten while it is read.
func openCopy(dir string) (db *leveldb.DB, replayed bool, err error) {
	db, err = leveldb.OpenFile(dir, readOnlyStrict())
	if err != io.EOF {
		return db, false, err
	}
	return openReplay(dir, err, nil)
}

// readOnlyStrict is the options of every read-only open of a copy.
func readOnlyStrict() *opt.Options {
	return &opt.Options{ReadOnly: true, ErrorIfMissing: true, Strict: opt.StrictAll}
}

// openReplay is openCopy's read-write open of a copy whose read-only open
// failed with roErr (io.EOF): only when it holds two logs. beforeWrite, when
// set, runs right before the read-write open.
func openReplay(dir string, roErr error, beforeWrite func() error) (db *leveldb.DB, replayed bool, err error) {
	if logs, _ := filepath.Glob(filepath.Join(dir, "*.log")); len(logs) < 2 {
		return nil, false, roErr
	}
	if beforeWrite != nil {
		if err := beforeWrite(); err != nil {
			return nil, false, err
		}
	}
	o := readOnlyStrict()
	o.ReadOnly = false
	o.CompactionL0Trigger = math.MaxInt32
	o.WriteL0SlowdownTrigger = math.MaxInt32
	o.WriteL0PauseTrigger = math.MaxInt32
	o.DisableSeeksCompaction = true
	db, err = leveldb.OpenFile(dir, o)
	return db, true, err
}

// tableFile is one table file present in a copy.
type tableFile struct {
	name string
	size int64
}

// listTables lists a copy's table files by number, before it is opened (a
// read-write open would drop tables the manifest does not reference).
func listTables(dir string) (map[int64]tableFile, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	out := map[int64]tableFile{}
	for _, e := range entries {
		ext := filepath.Ext(e.Name())
		if ext != ".ldb" && ext != ".sst" {
			continue
		}
		num, err := strconv.ParseInt(strings.TrimSuffix(e.Name(), ext), 10, 64)
		if err != nil {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", dir, err)
		}
		out[num] = tableFile{name: e.Name(), size: fi.Size()}
	}
	return out, nil
}

// tableLine is one table in goleveldb's "leveldb.sstables" property:
// "<num>:<size>[<min> .. <max>]".
var tableLine = lazyre.New(`(?m)^(\d+):(\d+)\[`)

// checkTables compares the tables the manifest references with the table
// files that were present (doc.go, "Editing", step 4). A
// truncated manifest otherwise opens "fine" and shows a fraction of the data.
// Tables the open itself wrote (replaying logs) are referenced but were not
// present; they are the only ones allowed to be new. A present table the
// manifest does not list is damage only when its number is at or past the
// manifest's next-file number (see manifestNextFile); below it, it is an
// obsolete leftover.
func checkTables(db *leveldb.DB, present map[int64]tableFile, nextFile int64, replayed bool) error {
	prop, err := db.GetProperty("leveldb.sstables")
	if err != nil {
		return fmt.Errorf("list tables: %w", err)
	}
	var maxPresent int64 = -1
	for num := range present {
		maxPresent = max(maxPresent, num)
	}
	referenced := map[int64]bool{}
	var problems []string
	for _, mm := range tableLine.FindAllStringSubmatch(prop, -1) {
		num, _ := strconv.ParseInt(mm[1], 10, 64)
		size, _ := strconv.ParseInt(mm[2], 10, 64)
		referenced[num] = true
		tf, ok := present[num]
		switch {
		case !ok && num > maxPresent && replayed:
			// written by the read-write open of a two-log copy
		case !ok:
			problems = append(problems, fmt.Sprintf("the manifest lists table %06d.ldb, which is missing", num))
		case tf.size != size:
			problems = append(problems, fmt.Sprintf("table %s is %d bytes, the manifest says %d", tf.name, tf.size, size))
		}
	}
	for num, tf := range present {
		if !referenced[num] && num >= nextFile {
			problems = append(problems, "table "+tf.name+" is not in the manifest, which never recorded it (manifest truncated, or the app stopped mid-compaction)")
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return &damage{reason: strings.Join(problems, "; ")}
	}
	return nil
}

// DamagedError reports a database that exists but cannot be read
// faithfully: callers treat it as damaged, never as empty, and never write it.
type DamagedError struct {
	Dir    string
	Reason string
}

func (e *DamagedError) Error() string {
	return "Local Storage " + e.Dir + " is damaged: " + e.Reason
}
