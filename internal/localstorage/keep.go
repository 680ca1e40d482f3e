package localstorage

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/mcpmend/mcpmend/internal/crashpoint"
	"github.com/mcpmend/mcpmend/internal/lockedfile"
)

// Keeping less (doc.go, "What a reset keeps"). The whole copy BackupDB
// takes holds every item of the database — other connectors' tokens
// included — and undo needs it for one case only: the database no longer
// reads back and is provably what mcpmend's own install left (OwnInstall).
// Once a strict read of a copy that is exactly that install has succeeded,
// the case can no longer arise: OwnInstall demands the installed files
// unchanged byte for byte, and the same bytes read the same way. The copy is
// then dropped; the removed rows (RemovedName), the install record and the
// digest of the pre-image (lsBackupDigest) stay.

// droppedDirName is the whole copy on its way out: renamed from BackupDBName
// in one step, so a kill leaves either the whole copy or none that any path
// would use, then removed.
const droppedDirName = "db.dropped"

// HasWholeBackup reports whether dir holds the whole copy of the database
// BackupDB took (its dir/db): false once DropWholeBackup ran, or began.
func HasWholeBackup(dir string) bool {
	fi, err := os.Stat(filepath.Join(dir, BackupDBName))
	return err == nil && fi.IsDir()
}

// DropWholeBackup removes the whole copy in dir, keeping its digest (a
// sha256 of every file of the pre-image): it renames dir/db aside, syncs
// dir, and removes what it renamed. It is idempotent and finishes a drop a
// kill interrupted.
func DropWholeBackup(dir string) error {
	db, gone := filepath.Join(dir, BackupDBName), filepath.Join(dir, droppedDirName)
	if _, err := os.Stat(db); err == nil {
		if err := lockedfile.RemoveTree(gone); err != nil {
			return fmt.Errorf("drop the whole copy in %s: %w", dir, err)
		}
		if err := os.Rename(db, gone); err != nil {
			return fmt.Errorf("drop the whole copy in %s: %w", dir, err)
		}
		lockedfile.SyncDir(dir)
		crashpoint.Hit("localstorage-mid-drop")
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("drop the whole copy in %s: %w", dir, err)
	}
	return lockedfile.RemoveTree(gone)
}

// RolledBack reports whether the install rec is undone in live: CURRENT
// names the manifest it replaced and no file it wrote is left (an install
// killed before its commit and settled, or one Apply put the backup back
// over). live is then as it was before the install and can never again be
// exactly what the install left (OwnInstall), so the install's whole copy
// serves nothing.
func RolledBack(live string, rec *InstallRecord) bool {
	if rec == nil {
		return false
	}
	if cur, err := readCurrent(live); err != nil || cur != rec.OldCurrent {
		return false
	}
	for n := range rec.New {
		if _, err := os.Lstat(filepath.Join(live, n)); !errors.Is(err, fs.ErrNotExist) {
			return false
		}
	}
	return true
}
