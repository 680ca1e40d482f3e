package localstorage

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/syndtr/goleveldb/leveldb/journal"
)

// Manifest record fields (LevelDB's version_edit.cc; goleveldb's
// session_record.go uses the same numbers).
const (
	manComparer       = 1
	manJournalNum     = 2
	manNextFileNum    = 3
	manSeqNum         = 4
	manCompPtr        = 5
	manDelTable       = 6
	manAddTable       = 7
	manPrevJournalNum = 9
)

// manifestNextFile returns the next-file number the current manifest of dir
// last recorded. Every file numbered below it was known to the manifest, so
// a table below it that the manifest no longer lists is an obsolete leftover
// LevelDB deletes on its next open (goleveldb's Close can leave one), while a
// table at or above it was never recorded: the manifest lost records.
func manifestNextFile(dir string) (int64, error) {
	st, err := readManifest(dir)
	return st.nextFile, err
}

// manifestTable is one table a manifest lists. minKey is a prefix of its
// smallest user key (at most splitKeyMax bytes): enough to split the key
// space for a parallel scan, where any key is a correct split point and only
// the balance depends on the choice.
type manifestTable struct {
	level  int
	size   int64
	minKey []byte
}

// splitKeyMax bounds the key prefix kept per table.
const splitKeyMax = 256

// manifestState is what the current manifest records: its last next-file
// number and the tables live after every edit.
type manifestState struct {
	nextFile int64
	tables   map[int64]manifestTable
}

// manifestEdit is one decoded manifest record (a version edit).
type manifestEdit struct {
	nextFile int64
	hasNext  bool
	deleted  []int64
	added    map[int64]manifestTable
}

// readManifest replays the current manifest of dir.
func readManifest(dir string) (manifestState, error) {
	st := manifestState{tables: map[int64]manifestTable{}}
	cur, err := os.ReadFile(filepath.Join(dir, "CURRENT"))
	if err != nil {
		return st, fmt.Errorf("read CURRENT: %w", err)
	}
	name, ok := strings.CutSuffix(string(cur), "\n")
	if !ok || !strings.HasPrefix(name, "MANIFEST-") || strings.ContainsAny(name, `/\`) {
		return st, fmt.Errorf("CURRENT does not name a manifest: %q", cur)
	}
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		return st, fmt.Errorf("open %s: %w", name, err)
	}
	defer f.Close()
	jr := journal.NewReader(f, nil, true, true)
	for {
		r, err := jr.Next()
		if err == io.EOF {
			return st, nil
		}
		if err != nil {
			return st, fmt.Errorf("%s: %w", name, err)
		}
		var ed manifestEdit
		if err := ed.decode(bufio.NewReader(r)); err != nil {
			return st, fmt.Errorf("%s: %w", name, err)
		}
		if ed.hasNext {
			st.nextFile = ed.nextFile
		}
		// LevelDB applies an edit's deletions before its additions: a table
		// moved down a level is deleted from one and added to the next.
		for _, num := range ed.deleted {
			delete(st.tables, num)
		}
		for num, t := range ed.added {
			st.tables[num] = t
		}
	}
}

// recordNextFile decodes one manifest record and returns its next-file
// number, if it sets one.
func recordNextFile(br *bufio.Reader) (next int64, ok bool, err error) {
	var ed manifestEdit
	if err := ed.decode(br); err != nil {
		return 0, false, err
	}
	return ed.nextFile, ed.hasNext, nil
}

// decode reads one manifest record into ed.
func (ed *manifestEdit) decode(br *bufio.Reader) (err error) {
	uv := func() uint64 {
		if err != nil {
			return 0
		}
		var v uint64
		v, err = binaryUvarint(br)
		return v
	}
	bytesField := func(keep int) []byte {
		n := uv()
		if err != nil {
			return nil
		}
		var b []byte
		if keep > 0 {
			b = make([]byte, min(n, uint64(keep)))
			if _, err = io.ReadFull(br, b); err != nil {
				return nil
			}
			n -= uint64(len(b))
		}
		_, err = br.Discard(int(min(n, 1<<30)))
		return b
	}
	for {
		tag, terr := binaryUvarint(br)
		if terr == io.EOF {
			return nil
		}
		if terr != nil {
			return terr
		}
		switch tag {
		case manComparer:
			bytesField(0)
		case manJournalNum, manPrevJournalNum, manSeqNum:
			uv()
		case manNextFileNum:
			ed.nextFile, ed.hasNext = int64(uv()), true
		case manCompPtr:
			uv()
			bytesField(0)
		case manDelTable:
			uv()
			ed.deleted = append(ed.deleted, int64(uv()))
		case manAddTable:
			level, num, size := int(uv()), int64(uv()), int64(uv())
			// An internal key is the user key and an 8-byte trailer.
			imin := bytesField(splitKeyMax + 8)
			bytesField(0)
			if err == nil {
				if ed.added == nil {
					ed.added = map[int64]manifestTable{}
				}
				ed.added[num] = manifestTable{level: level, size: size, minKey: userKeyPrefix(imin)}
			}
		default:
			return fmt.Errorf("unknown manifest field %d", tag)
		}
		if err != nil {
			return err
		}
	}
}

// userKeyPrefix returns the user key of an internal key read whole, or a
// prefix of it when the read stopped at splitKeyMax+8 bytes.
func userKeyPrefix(ik []byte) []byte {
	if len(ik) == splitKeyMax+8 {
		return ik[:splitKeyMax] // possibly cut: a prefix of the user key
	}
	return ik[:max(0, len(ik)-8)]
}

// binaryUvarint reads a uvarint, reporting a clean io.EOF only before its
// first byte.
func binaryUvarint(br *bufio.Reader) (uint64, error) {
	var x uint64
	for i, s := 0, uint(0); i < 10; i, s = i+1, s+7 {
		c, err := br.ReadByte()
		if err != nil {
			if i > 0 && err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
		if c < 0x80 {
			return x | uint64(c)<<s, nil
		}
		x |= uint64(c&0x7f) << s
	}
	return 0, errors.New("varint overflows 64 bits")
}
