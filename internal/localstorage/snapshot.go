package localstorage

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"github.com/syndtr/goleveldb/leveldb"
)

// linkTables says whether a scan's snapshot may hard-link table files
// instead of copying them. Not on Windows: there the link is the same file
// object, and holding it open without FILE_SHARE_DELETE (Go's os.Open) would
// block the app's own deletion of an obsolete table (doc.go:
// "prefer copy-then-read").
var linkTables = runtime.GOOS != "windows"

// openSnapshot opens a scan's snapshot as openCopy does; before the
// read-write open of a two-log snapshot it replaces the links with copies
// (materializeLinks). A scan reads each block once, so the read-only open
// has no block cache (its per-block lookups cost more than they save).
func openSnapshot(dir string, linked []string) (db *leveldb.DB, replayed bool, err error) {
	o := readOnlyStrict()
	o.DisableBlockCache = true
	db, err = leveldb.OpenFile(dir, o)
	if err != io.EOF {
		return db, false, err
	}
	return openReplay(dir, err, func() error { return materializeLinks(dir, linked) })
}

// snapshotDBFiles takes the private copy a scan reads: every regular file of
// src but LOCK, like copyDBFiles, except that finished tables (*.ldb, *.sst)
// are hard-linked when src and dst share a file system. It returns how many
// files it took and the names it linked.
//
// A hard link of a table is a copy of its contents: LevelDB writes a table
// once under a fresh number and never opens it for writing again — it only
// deletes it after a compaction, and the link keeps those bytes alive for the
// scan. Logs, manifests and CURRENT are appended to or replaced in place, so
// they are always copied. The snapshot is read-only except in one case — a
// read-write open that replays two logs writes new tables, and a new table's
// number may be one the app is writing right now — so openSnapshot replaces
// the links with copies (materializeLinks) before any read-write open; no
// write can ever reach the app's files through a link.
//
// Linking saves copying every byte of the database (the bulk of a scan's
// I/O). It falls back to copying a file on any link error (another file
// system: EXDEV; a file system without hard links; permissions) and stops
// trying after the first.
func snapshotDBFiles(src, dst string) (n int, linked []string, err error) {
	entries, err := os.ReadDir(src)
	if err != nil {
		return 0, nil, fmt.Errorf("list %s: %w", src, err)
	}
	link := linkTables
	for _, e := range entries {
		name := e.Name()
		if name == "LOCK" || !e.Type().IsRegular() {
			continue
		}
		from, to := filepath.Join(src, name), filepath.Join(dst, name)
		if link && isTableName(name) {
			err := os.Link(from, to)
			if err == nil {
				linked = append(linked, name)
				n++
				continue
			}
			if errors.Is(err, os.ErrNotExist) {
				// Deleted by a compaction since the listing: the snapshot
				// is torn, and the caller retries a fresh one.
				return n, linked, fmt.Errorf("copy %s: %w", from, err)
			}
			link = false
			if !errors.Is(err, syscall.EXDEV) {
				// EXDEV (temp dir on another file system) is the
				// expected refusal; anything else is worth a line.
				slog.Debug("copying Local Storage tables instead of linking them", "err", err)
			}
		}
		if err := copyFile(from, to); err != nil {
			return n, linked, err
		}
		n++
	}
	return n, linked, nil
}

// isTableName reports a LevelDB table file name: a number and .ldb or .sst.
func isTableName(name string) bool {
	ext := filepath.Ext(name)
	if ext != ".ldb" && ext != ".sst" {
		return false
	}
	_, err := strconv.ParseUint(strings.TrimSuffix(name, ext), 10, 64)
	return err == nil
}

// materializeLinks replaces each linked file of dir with a private copy of
// the same bytes (copy beside it, then rename over the link), so that a
// read-write open of dir can write nothing but its own files.
func materializeLinks(dir string, linked []string) error {
	for _, name := range linked {
		p := filepath.Join(dir, name)
		tmp := p + ".copy"
		if err := copyFile(p, tmp); err != nil {
			return err
		}
		if err := os.Rename(tmp, p); err != nil {
			return fmt.Errorf("replace link %s with a copy: %w", p, err)
		}
	}
	return nil
}
