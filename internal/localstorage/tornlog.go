package localstorage

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/syndtr/goleveldb/leveldb/util"
)

// Reading a log the way LevelDB does (doc.go, "Undo").
//
// A log is 32 KiB blocks of chunks: a 7-byte header (masked CRC-32C of type
// and payload, payload length, type) and the payload; a record is one FULL
// chunk or FIRST, MIDDLE…, LAST; fewer than 7 bytes left in a block are
// padding. A write cut short (the app killed or the machine losing power
// mid-append) leaves a torn tail: a header or chunk that runs past the end
// of the file, a record whose last part never came, or zeros. LevelDB reads
// all of these as a clean end of the log; goleveldb's strict reader calls
// them corruption. Unreadable bytes followed by readable ones are not a torn
// write, and nothing here guesses what they held.

const (
	logBlock  = 32 << 10
	logHeader = 7

	chunkFull   = 1
	chunkFirst  = 2
	chunkMiddle = 3
	chunkLast   = 4
)

// logTail is what a scan of one log found after its last complete record.
type logTail struct {
	records int    // complete records before end
	end     int    // bytes up to the end of the last complete record
	reason  string // what the unreadable bytes after end are; "" when none
	at      int    // where they start
	torn    bool   // they run to the end of the file: a write cut short
}

// scanLog walks the chunks of a log and stops at the first unreadable one.
func scanLog(data []byte) logTail {
	var t logTail
	frag := -1 // offset of an unfinished record's FIRST chunk
	for pos := 0; pos < len(data); {
		if left := logBlock - pos%logBlock; left < logHeader {
			pos += left // block trailer
			continue
		}
		n, why := chunkAt(data, pos)
		if why == "" {
			why = t.step(data[pos+logHeader-1], pos, n, &frag)
		}
		if why != "" {
			return t.unreadable(data, pos, n, frag, why)
		}
		pos += logHeader + n
	}
	if frag >= 0 {
		return t.unreadable(data, frag, len(data)-frag, frag, "a record whose last part never came")
	}
	return t
}

// chunkAt checks the chunk header at pos and returns its payload length, or
// why the chunk is unreadable.
func chunkAt(data []byte, pos int) (int, string) {
	if pos+logHeader > len(data) {
		return len(data) - pos, "a chunk header cut short"
	}
	h := data[pos : pos+logHeader]
	n := int(binary.LittleEndian.Uint16(h[4:6]))
	switch {
	case allZero(h):
		return n, "zero bytes"
	case h[6] < chunkFull || h[6] > chunkLast:
		return n, "a chunk of unknown type " + strconv.Itoa(int(h[6]))
	case pos+logHeader+n > len(data):
		return n, "a chunk cut short"
	case logHeader+n > logBlock-pos%logBlock:
		return n, "a chunk longer than its block"
	case util.NewCRC(data[pos+logHeader-1:pos+logHeader+n]).Value() != binary.LittleEndian.Uint32(h[:4]):
		return n, "a chunk whose checksum does not match"
	}
	return n, ""
}

// step follows one readable chunk of type typ: a record ends at a FULL or
// LAST chunk; parts out of order are unreadable.
func (t *logTail) step(typ byte, pos, n int, frag *int) string {
	switch {
	case typ == chunkFull && *frag < 0, typ == chunkLast && *frag >= 0:
		*frag = -1
		t.end = pos + logHeader + n
		t.records++
	case typ == chunkFirst && *frag < 0:
		*frag = pos
	case typ == chunkMiddle && *frag >= 0:
	default:
		return "a record part out of order"
	}
	return ""
}

// unreadable records the first unreadable bytes: those of the chunk at pos
// (payload length n), or of the unfinished record from frag on. They are a
// torn tail when they run to the end of the file or are all zero.
func (t logTail) unreadable(data []byte, pos, n, frag int, why string) logTail {
	t.torn = pos+logHeader+n >= len(data) || allZero(data[pos:])
	t.at, t.reason = pos, why
	if frag >= 0 && frag < pos {
		t.at = frag
	}
	return t
}

func allZero(b []byte) bool { return len(bytes.Trim(b, "\x00")) == 0 }

// Torn is what CutTornTail cut from a staging copy.
type Torn struct {
	Log    string // the log's name
	Kept   int64  // bytes of complete records kept
	Cut    int64  // bytes dropped after them
	Reason string // what they were
}

// String says what was dropped, for the undo's answer.
func (t Torn) String() string {
	return fmt.Sprintf("the log %s ended in a write cut short (the last %d bytes: %s); LevelDB reads that as the end of the log, and so did the undo: everything before it was kept",
		t.Log, t.Cut, t.Reason)
}

// CutTornTail makes a staging copy read the way LevelDB reads it: when the
// newest log of copyDir ends in a torn write, the copy's log is truncated
// right after its last complete record, and goleveldb's strict reader then
// sees exactly the rows LevelDB does. It returns what it cut (Cut is 0 when
// the log has no torn tail) and a *DamagedError naming live when unreadable
// bytes are followed by readable ones. Only a private copy is ever cut.
func CutTornTail(copyDir, live string) (Torn, error) {
	name, err := newestLog(copyDir)
	if err != nil || name == "" {
		return Torn{}, err
	}
	p := filepath.Join(copyDir, name)
	data, err := os.ReadFile(p)
	if err != nil {
		return Torn{}, fmt.Errorf("read %s: %w", p, err)
	}
	t := scanLog(data)
	switch {
	case t.reason == "":
		return Torn{}, nil
	case !t.torn:
		return Torn{}, &DamagedError{Dir: live, Reason: fmt.Sprintf("log %s holds %s at byte %d followed by more data: not a write cut short", name, t.reason, t.at)}
	}
	if err := os.Truncate(p, int64(t.end)); err != nil {
		return Torn{}, fmt.Errorf("cut the torn tail of %s: %w", p, err)
	}
	return Torn{Log: name, Kept: int64(t.end), Cut: int64(len(data) - t.end), Reason: t.reason}, nil
}

// newestLog names the highest-numbered log of dir ("" when none): the one
// the app was appending to.
func newestLog(dir string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", fmt.Errorf("list %s: %w", dir, err)
	}
	best, bestNum := "", int64(-1)
	for _, e := range entries {
		num, err := strconv.ParseInt(strings.TrimSuffix(e.Name(), ".log"), 10, 64)
		if err != nil || !strings.HasSuffix(e.Name(), ".log") || !e.Type().IsRegular() {
			continue
		}
		if num > bestNum {
			best, bestNum = e.Name(), num
		}
	}
	return best, nil
}
