package cache

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
	cur, err := os.ReadFile(filepath.Join(dir, "CURRENT"))
	if err != nil {
		return 0, fmt.Errorf("read CURRENT: %w", err)
	}
	name, ok := strings.CutSuffix(string(cur), "\n")
	if !ok || !strings.HasPrefix(name, "MANIFEST-") || strings.ContainsAny(name, `/\`) {
		return 0, fmt.Errorf("CURRENT does not name a manifest: %q", cur)
	}
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		return 0, fmt.Errorf("open %s: %w", name, err)
	}
	defer f.Close()
	jr := journal.NewReader(f, nil, true, true)
	var next int64
	for {
		r, err := jr.Next()
		if err == io.EOF {
			return next, nil
		}
		if err != nil {
			return 0, fmt.Errorf("%s: %w", name, err)
		}
		n, ok, err := recordNextFile(bufio.NewReader(r))
		if err != nil {
			return 0, fmt.Errorf("%s: %w", name, err)
		}
		if ok {
			next = n
		}
	}
}

// recordNextFile decodes one manifest record and returns its next-file
// number, if it sets one.
func recordNextFile(br *bufio.Reader) (next int64, ok bool, err error) {
	uv := func() uint64 {
		if err != nil {
			return 0
		}
		var v uint64
		v, err = binaryUvarint(br)
		return v
	}
	bytesField := func() {
		n := uv()
		if err == nil {
			_, err = br.Discard(int(min(n, 1<<30)))
		}
	}
	for {
		tag, terr := binaryUvarint(br)
		if terr == io.EOF {
			return next, ok, nil
		}
		if terr != nil {
			return 0, false, terr
		}
		switch tag {
		case manComparer:
			bytesField()
		case manJournalNum, manPrevJournalNum, manSeqNum:
			uv()
		case manNextFileNum:
			next, ok = int64(uv()), true
		case manCompPtr:
			uv()
			bytesField()
		case manDelTable:
			uv()
			uv()
		case manAddTable:
			uv()
			uv()
			uv()
			bytesField()
			bytesField()
		default:
			return 0, false, fmt.Errorf("unknown manifest field %d", tag)
		}
		if err != nil {
			return 0, false, err
		}
	}
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
