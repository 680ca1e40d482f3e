package localstorage

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/opt"
	"github.com/syndtr/goleveldb/leveldb/util"

	"github.com/mcpmend/mcpmend/internal/crashpoint"
	"github.com/mcpmend/mcpmend/internal/lockedfile"
)

// Editing a Local Storage database (doc.go, "Editing").
//
// goleveldb never opens the live directory. The edit is made on a staging
// copy, checked there, and installed the way LevelDB itself commits a new
// version: the new files (whose numbers are above every live file's, so no
// name clashes) are written beside the old ones, then CURRENT is replaced
// atomically to name the new manifest — the single commit point — and only
// then are the superseded files deleted. A crash leaves the old database plus
// unreferenced new files, or the new database plus unreferenced old files;
// an install record lets the next run tell which and delete the leftovers.
//
// Why not open the live directory read-write as the doc's first recipe does:
// goleveldb locks LOCK with flock. On Linux that ignores the fcntl lock
// mcpmend holds (an OFD lock, see LockLocalStorage), but on macOS flock and
// fcntl share one lock table — goleveldb's open would conflict with our own
// lock, and its close of LOCK would drop it. Staging needs no goleveldb lock
// on the live directory at all, on any OS.

// Rows is a complete, strict read of a database: the sha256 of every row's
// value by row key (a string of the raw key bytes).
type Rows map[string][32]byte

// Op is one row an edit deletes or puts back (with its exact bytes).
type Op struct {
	Key    []byte
	Value  []byte
	Delete bool
}

// Names inside a step's working directory and beside it.
const (
	BackupDBName   = "db"              // the whole database as it was (Backup, refreshed under the lock)
	lsBackupDigest = "db.digest.json"  // name → sha256 of every file in db
	RemovedName    = "removed.json"    // the rows Apply deleted, byte for byte
	StageDirName   = "stage"           // staging copy being edited
	CheckDirName   = "check"           // copy of the live directory read after an install
	InstallExt     = ".install.json"   // beside the step directory: survives the journal clearing it
	TempPrefix     = "mcpmend-install" // temp files in the live directory
)

// dbFile reports whether name is one of a database's LevelDB files that an
// Install replaces: manifests, logs and tables. CURRENT is the commit record;
// LOCK and LOG belong to whoever has the database open.
func dbFile(name string) bool {
	if strings.HasPrefix(name, "MANIFEST-") {
		return true
	}
	switch filepath.Ext(name) {
	case ".log", ".ldb", ".sst":
		base := strings.TrimSuffix(name, filepath.Ext(name))
		return base != "" && strings.Trim(base, "0123456789") == ""
	}
	return false
}

// CopyDB copies the live directory's files into dst (created 0700), leaving
// out LOCK, our own temp files and the names in skip.
func CopyDB(live, dst string, skip map[string]bool) error {
	if err := os.RemoveAll(dst); err != nil {
		return fmt.Errorf("clear %s: %w", dst, err)
	}
	if err := os.MkdirAll(dst, 0o700); err != nil {
		return fmt.Errorf("copy %s: %w", live, err)
	}
	entries, err := os.ReadDir(live)
	if err != nil {
		return fmt.Errorf("list %s: %w", live, err)
	}
	for _, e := range entries {
		n := e.Name()
		if n == "LOCK" || strings.HasPrefix(n, TempPrefix) || skip[n] || !e.Type().IsRegular() {
			continue
		}
		if err := copyFile(filepath.Join(live, n), filepath.Join(dst, n)); err != nil {
			return err
		}
	}
	return nil
}

// ReadRows reads a private copy completely and strictly — read-only open
// with ErrorIfMissing and StrictAll, the manifest's tables compared with the
// table files present, every row iterated — and returns every row's value
// hash, plus the exact values of the rows want selects. live names the
// database in messages. A database that does not read faithfully is a
// *DamagedError.
func ReadRows(ctx context.Context, copyDir, live string, want func(key []byte) bool) (Rows, map[string][]byte, error) {
	// The same opening sequence as the reader's readCopy.
	present, err := listTables(copyDir)
	if err != nil {
		return nil, nil, err
	}
	nextFile, manErr := manifestNextFile(copyDir) // before a read-write open rewrites it
	db, replayed, err := openCopy(copyDir)
	if err != nil {
		return nil, nil, lsDamaged(classifyOpenError(err, copyDir, live), live)
	}
	defer db.Close()
	if manErr != nil {
		return nil, nil, &DamagedError{Dir: live, Reason: manErr.Error()}
	}
	if err := checkTables(db, present, nextFile, replayed); err != nil {
		return nil, nil, lsDamaged(err, live)
	}
	rows, vals := Rows{}, map[string][]byte{}
	it := db.NewIterator(nil, &opt.ReadOptions{DontFillCache: true, Strict: opt.StrictAll})
	defer it.Release()
	for n := 0; it.Next(); n++ {
		if n&0xfff == 0 && ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		rows[string(it.Key())] = sha256.Sum256(it.Value())
		if want != nil && want(it.Key()) {
			vals[string(it.Key())] = bytes.Clone(it.Value())
		}
	}
	if err := it.Error(); err != nil {
		return nil, nil, &DamagedError{Dir: live, Reason: "reading rows: " + strings.ReplaceAll(err.Error(), copyDir, live)}
	}
	return rows, vals, nil
}

// lsDamaged turns the reader's *damage into a *DamagedError for live.
func lsDamaged(err error, live string) error {
	var d *damage
	if errors.As(err, &d) {
		return &DamagedError{Dir: live, Reason: d.reason}
	}
	return err
}

// EditStage applies ops to the staging database in one synced batch, then
// compacts it so deleted values do not linger in old tables or logs:
// CompactRange, close, open read-write once more, close.
func EditStage(stage string, ops []Op) error {
	db, err := leveldb.OpenFile(stage, &opt.Options{ErrorIfMissing: true, Strict: opt.StrictAll})
	if err != nil {
		return fmt.Errorf("open staging copy: %w", err)
	}
	b := new(leveldb.Batch)
	for _, op := range ops {
		if op.Delete {
			b.Delete(op.Key)
		} else {
			b.Put(op.Key, op.Value)
		}
	}
	if err := db.Write(b, &opt.WriteOptions{Sync: true}); err != nil {
		db.Close()
		return fmt.Errorf("write staging copy: %w", err)
	}
	crashpoint.Hit("localstorage-after-batch")
	if err := db.CompactRange(util.Range{}); err != nil {
		db.Close()
		return fmt.Errorf("compact staging copy: %w", err)
	}
	if err := db.Close(); err != nil {
		return fmt.Errorf("close staging copy: %w", err)
	}
	db, err = leveldb.OpenFile(stage, &opt.Options{ErrorIfMissing: true, Strict: opt.StrictAll})
	if err != nil {
		return fmt.Errorf("reopen staging copy: %w", err)
	}
	return db.Close()
}

// ExpectRows checks that after is exactly before with ops applied: the keys
// deleted gone, the rows put present with their bytes, every other row
// unchanged and nothing else added.
func ExpectRows(before, after Rows, ops []Op) error {
	want := make(Rows, len(before)+len(ops))
	for k, v := range before {
		want[k] = v
	}
	for _, op := range ops {
		if op.Delete {
			delete(want, string(op.Key))
		} else {
			want[string(op.Key)] = sha256.Sum256(op.Value)
		}
	}
	var missing, changed, extra int
	for k, v := range want {
		got, ok := after[k]
		switch {
		case !ok:
			missing++
		case got != v:
			changed++
		}
	}
	for k := range after {
		if _, ok := want[k]; !ok {
			extra++
		}
	}
	if missing+changed+extra > 0 {
		return fmt.Errorf("the edited database does not hold exactly the intended rows (%d missing, %d changed, %d unexpected)", missing, changed, extra)
	}
	return nil
}

// InstallRecord is what an install changes in the live directory, written
// before the first file is: how the next run tells a committed install
// (CURRENT names NewCurrent: delete Old) from an interrupted one (CURRENT
// still names OldCurrent: delete New), and deletes only files whose content
// is still exactly what the record says.
//
// Installed and Backup let an undo prove that a database which no longer
// reads back is still exactly what the install left (see OwnInstall).
type InstallRecord struct {
	OldCurrent string             `json:"old_current"`
	NewCurrent string             `json:"new_current"`
	New        map[string]string  `json:"new"`                 // written: name → sha256
	Old        map[string]string  `json:"old"`                 // superseded: name → sha256
	Installed  map[string]FileSum `json:"installed,omitempty"` // every file of the new database, CURRENT included
	Backup     string             `json:"backup,omitempty"`    // BackupDB's dir of the database as it was, relative to the step directory
	Settled    bool               `json:"settled"`
}

// FileSum is one installed file's size and sha256.
type FileSum struct {
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// fileDigests hashes the database files of dir (dbFile names, plus CURRENT
// when withCurrent).
func fileDigests(dir string, withCurrent bool) (map[string]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	out := map[string]string{}
	for _, e := range entries {
		n := e.Name()
		if !e.Type().IsRegular() || !(dbFile(n) || withCurrent && n == "CURRENT") {
			continue
		}
		h, err := fileHash(filepath.Join(dir, n))
		if err != nil {
			return nil, err
		}
		out[n] = h
	}
	return out, nil
}

func fileHash(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return hashBytes(data), nil
}

// readCurrent returns the manifest CURRENT names.
func readCurrent(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "CURRENT"))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", filepath.Join(dir, "CURRENT"), err)
	}
	return strings.TrimSuffix(string(b), "\n"), nil
}

// Install moves the staged database into live (see the package comment
// above). backup is the directory BackupDB filled with live as it was, for
// the record: the step directory recPath belongs to, or one inside it. The
// caller holds Chromium's lock on live. On an error before the commit, the
// new files are removed again and live is as it was.
func Install(live, stage, recPath, backup string) error {
	oldCur, err := readCurrent(live)
	if err != nil {
		return err
	}
	newCur, err := readCurrent(stage)
	if err != nil {
		return fmt.Errorf("staging copy: %w", err)
	}
	rec := InstallRecord{OldCurrent: oldCur, NewCurrent: newCur, New: map[string]string{}, Old: map[string]string{}}
	if rel, err := filepath.Rel(strings.TrimSuffix(recPath, InstallExt), backup); err == nil && filepath.IsLocal(rel) {
		rec.Backup = rel
	}
	if rec.NewCurrent == rec.OldCurrent {
		return fmt.Errorf("the staging copy still names %s: nothing to install", oldCur)
	}
	liveFiles, err := fileDigests(live, false)
	if err != nil {
		return err
	}
	stageFiles, err := fileDigests(stage, false)
	if err != nil {
		return err
	}
	if rec.Installed, err = fileSums(stage, stageFiles); err != nil {
		return err
	}
	for n, h := range stageFiles {
		switch lh, ok := liveFiles[n]; {
		case !ok:
			rec.New[n] = h
		case lh != h:
			return fmt.Errorf("%s already holds a different %s; nothing was changed", live, n)
		}
	}
	for n, h := range liveFiles {
		if _, ok := stageFiles[n]; !ok {
			rec.Old[n] = h
		}
	}
	if err := writeRecord(recPath, rec); err != nil {
		return err
	}
	perm := fs.FileMode(0o644)
	if fi, err := os.Stat(filepath.Join(live, "CURRENT")); err == nil {
		perm = fi.Mode().Perm()
	}
	for i, n := range sortedNames(rec.New) {
		if i == 1 {
			crashpoint.Hit("localstorage-mid-install")
		}
		if err := placeFile(filepath.Join(stage, n), live, n, perm); err != nil {
			return errors.Join(err, Settle(live, recPath))
		}
	}
	lockedfile.SyncDir(live)
	crashpoint.Hit("localstorage-before-commit")
	if err := placeFile(filepath.Join(stage, "CURRENT"), live, "CURRENT", perm); err != nil {
		return errors.Join(err, Settle(live, recPath))
	}
	lockedfile.SyncDir(live)
	crashpoint.Hit("localstorage-after-commit")
	return Settle(live, recPath)
}

// placeFile copies src into dir as name through a synced temp file and a
// rename, so name is never seen half-written.
func placeFile(src, dir, name string, perm fs.FileMode) error {
	tmp := filepath.Join(dir, TempPrefix+"-"+name)
	os.Remove(tmp)
	if err := lockedfile.CopySynced(src, tmp, perm); err != nil {
		os.Remove(tmp)
		return err
	}
	// Run as root on a user's profile, the file must stay the user's, or
	// Chromium, running as them, could not compact it away.
	if err := lockedfile.InheritOwner(tmp); err != nil {
		os.Remove(tmp)
		return err
	}
	// lockedfile.Rename retries on Windows while a scanner or indexer has
	// the file open (the app itself is out: its lock is ours).
	if err := lockedfile.Rename(tmp, filepath.Join(dir, name)); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("install %s: %w", name, err)
	}
	return nil
}

func writeRecord(path string, rec InstallRecord) error {
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	return lockedfile.WritePrivate(path, b)
}

func ReadRecord(path string) (*InstallRecord, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read install record: %w", err)
	}
	var rec InstallRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("install record %s: %w", path, err)
	}
	return &rec, nil
}

// Leftovers returns the files an unsettled install left in live that are
// not part of the database CURRENT names: the superseded ones after the
// commit, the unreferenced new ones before it. When CURRENT names neither
// manifest, Chromium has opened the database since and removed what it did
// not need itself: nothing is ours to touch.
func Leftovers(live string, rec *InstallRecord) (map[string]string, error) {
	if rec == nil || rec.Settled {
		return nil, nil
	}
	cur, err := readCurrent(live)
	if err != nil {
		return nil, err
	}
	switch cur {
	case rec.NewCurrent:
		return rec.Old, nil
	case rec.OldCurrent:
		return rec.New, nil
	}
	return nil, nil
}

// Settle finishes an install: it deletes the leftovers whose content is
// still exactly what the record says (a file Chromium has rewritten under
// the same name is never touched) and our temp files, then marks the record
// settled. The caller holds Chromium's lock. It is idempotent.
func Settle(live, recPath string) error {
	rec, err := ReadRecord(recPath)
	if err != nil || rec == nil || rec.Settled {
		return err
	}
	left, err := Leftovers(live, rec)
	if err != nil {
		return err
	}
	for _, n := range sortedNames(left) {
		p := filepath.Join(live, n)
		h, err := fileHash(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if h == left[n] {
			if err := lockedfile.Remove(p); err != nil {
				return fmt.Errorf("remove %s: %w", p, err)
			}
		}
	}
	if temps, _ := filepath.Glob(filepath.Join(live, TempPrefix+"-*")); len(temps) > 0 {
		for _, t := range temps {
			os.Remove(t)
		}
	}
	lockedfile.SyncDir(live)
	rec.Settled = true
	return writeRecord(recPath, *rec)
}

func sortedNames(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// RestoreWhole puts the backed-up database back in live, file for file, when
// the backup is complete (its digest matches). The caller holds the lock.
func RestoreWhole(live, dir string) error {
	var want map[string]string
	b, err := os.ReadFile(filepath.Join(dir, lsBackupDigest))
	if err != nil {
		return fmt.Errorf("no complete backup of %s in %s: %w", live, dir, err)
	}
	if err := json.Unmarshal(b, &want); err != nil {
		return fmt.Errorf("backup digest %s: %w", dir, err)
	}
	got, err := fileDigests(filepath.Join(dir, BackupDBName), true)
	if err != nil {
		return err
	}
	if !maps.Equal(got, want) {
		return fmt.Errorf("the backup in %s is incomplete; nothing was restored", dir)
	}
	keep := func(rel string) bool { return rel == "LOCK" || strings.HasPrefix(rel, TempPrefix) }
	return lockedfile.RestoreDir(filepath.Join(dir, BackupDBName), live, keep)
}

// BackupDB copies the whole live directory (but LOCK) into dir/db and
// records its digest last, so a backup without a digest is known to be
// incomplete.
func BackupDB(live, dir string) error {
	os.Remove(filepath.Join(dir, lsBackupDigest))
	db := filepath.Join(dir, BackupDBName)
	if err := lockedfile.RemoveTree(db); err != nil {
		return fmt.Errorf("back up %s: %w", live, err)
	}
	if err := lockedfile.BackupDir(live, db, func(rel string) bool { return rel == "LOCK" || strings.HasPrefix(rel, TempPrefix) }); err != nil {
		return err
	}
	d, err := fileDigests(db, true)
	if err != nil {
		return err
	}
	b, err := json.Marshal(d)
	if err != nil {
		return err
	}
	return lockedfile.WritePrivate(filepath.Join(dir, lsBackupDigest), b)
}

// BackupCurrent reports whether dir/db is a complete backup of live as it is
// now (its database files and CURRENT).
func BackupCurrent(live, dir string) bool {
	if !HasWholeBackup(dir) {
		return false
	}
	b, err := os.ReadFile(filepath.Join(dir, lsBackupDigest))
	if err != nil {
		return false
	}
	var want map[string]string
	if json.Unmarshal(b, &want) != nil {
		return false
	}
	got, err := fileDigests(live, true)
	return err == nil && maps.Equal(got, want)
}

// RowHash is the hex sha256 of a row value, as plans record it.
func RowHash(v [32]byte) string { return hex.EncodeToString(v[:]) }

// hashBytes is the hex sha256 of b: the digests of backups and installs.
func hashBytes(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}
