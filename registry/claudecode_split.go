package registry

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"sync/atomic"
)

// Reading a 100 MB ~/.claude.json is one validating pass at about 1 GB/s:
// the longest single step of `list` on such a file, and one core idles.
// readClaudeMainBytes and readClaudeMainStream therefore read it in two
// halves at once, by speculation that stays exact:
//
//   - A boundary is guessed past the middle: a key that looks like a
//     project's ("/path" or "C:\\path") after "}," and before ":{", where
//     one project of "projects" ends and the next begins.
//   - A second scanner reads from there as if it were there: the rest of
//     "projects", then the rest of the top-level object, then the end of
//     the input. It collects what it finds, and hands each project it
//     reads on at once (done) — discovery's workers parse a project's
//     servers while the scan goes on; waiting for the first scanner to
//     reach the boundary held the second half's 2,500 projects back until
//     both scans were done (8–10 ms of a 100 MB list, on one core). If the
//     guess fails those projects are handed on for nothing: the first
//     scanner hands on its own as it reads on, and only those are kept.
//   - The first scanner reads from the start as always. Only if it reaches
//     a member key of "projects" exactly at the guess does it take the
//     second scanner's result, when that one read its part without error,
//     and stop. A parser in the same state at the same byte reads the
//     rest the same way, so the result is what one scanner would give.
//   - Otherwise (the guess was inside a string, or at another depth, or
//     the second half is not valid JSON) the first scanner reads on to the
//     end, errors and all, and the guess only cost the second core's time.
//
// A large file is streamed (see streamMinSize): the guess is made in a
// window read at the middle, which becomes the second scanner's buffer,
// and the second scanner's read counts as without error only when it read
// to the size the file had when opened, no less.
//
// TestSplitReadEqualsOneScanner and FuzzClaudeMainSplit compare both ways
// on generated and fuzzed files, with the boundary at every offset, and
// TestStreamedReadEqualsOneScanner and FuzzClaudeMainStream the same
// streamed through tiny buffers.

// splitMinSize is the size from which the file is read in two halves:
// below it, starting a goroutine costs more than the half it saves.
var splitMinSize = 8 << 20

// claudeTail is what the second scanner read from the boundary on.
type claudeTail struct {
	ok bool
	m  *claudeMain // its projects (the last of each directory) and mcpServers
	r  *mainReader
}

// splitAt returns where a second scanner should start reading data, 0 for
// nowhere: the first guessed project boundary past the middle.
func splitAt(data []byte) int {
	if len(data) < splitMinSize || runtime.GOMAXPROCS(0) < 2 {
		return 0
	}
	return projectBoundary(data, len(data)/2)
}

// projectBoundary returns the offset of the first project key at or after
// from, looking no further than 1 MB: a '"' preceded (across whitespace)
// by ',' and '}', that starts a project (projectAt). 0 when none is found;
// a wrong guess is only slower.
func projectBoundary(data []byte, from int) int {
	end := min(len(data), from+1<<20)
	for i := from; i < end; {
		j := bytes.IndexByte(data[i:end], ',')
		if j < 0 {
			return 0
		}
		comma := i + j
		i = comma + 1
		if prevNonSpace(data, comma) != '}' {
			continue
		}
		k := skipSpace(data, comma+1)
		if k+3 >= len(data) || data[k] != '"' || !looksLikeDir(data[k+1:]) {
			continue
		}
		if projectAt(data, k, true) {
			return k
		}
	}
	return 0
}

// projectAt reports whether a project member seems to start at k: a key
// that looks like a directory, ':' and an object, followed (when next is
// set, and the object is under 1 MB) by ',' and another such key —
// deeper objects such as a project's mcpServers end with '}' instead.
func projectAt(data []byte, k int, next bool) bool {
	s := &jsonScanner{data: data, pos: k}
	if _, ok := s.str(false); !ok || s.peek() != ':' {
		return false
	}
	s.pos++
	if s.peek() != '{' {
		return false
	}
	if !next {
		return true
	}
	start := s.pos
	s.data = data[:min(len(data), start+1<<20)]
	if !s.value() {
		return s.pos >= len(s.data) && len(s.data) < len(data) // too long to tell: take it
	}
	if s.peek() != ',' {
		return false
	}
	k = skipSpace(data, s.pos+1)
	return k+3 < len(data) && data[k] == '"' && looksLikeDir(data[k+1:]) && projectAt(data, k, false)
}

// looksLikeDir reports whether a JSON string's content starts like an
// absolute path: "/…", "~…", or a Windows drive "C:\\…" or "C:/…".
func looksLikeDir(b []byte) bool {
	switch {
	case b[0] == '/' || b[0] == '~':
		return true
	case len(b) > 2 && (b[0]|0x20 >= 'a' && b[0]|0x20 <= 'z') && b[1] == ':':
		return b[2] == '\\' || b[2] == '/'
	}
	return false
}

// prevNonSpace is the last byte before i that is not JSON whitespace, 0
// for none.
func prevNonSpace(data []byte, i int) byte {
	for i--; i >= 0; i-- {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
		default:
			return data[i]
		}
	}
	return 0
}

// skipSpace is where the JSON whitespace from i ends (the scanner's ws).
func skipSpace(data []byte, i int) int {
	s := jsonScanner{data: data, pos: i}
	s.ws()
	return s.pos
}

// readTail reads data from at as if at were a member key of the
// top-level "projects" object (depth 2), through the end of the input,
// handing each project to done (nil: none) as it is read.
func readTail(data []byte, at int, done func(*claudeProject)) *claudeTail {
	return scanTail(&jsonScanner{data: data, pos: at}, done)
}

// guessTail guesses a project boundary past the middle of r's first size
// bytes, from a window read there, and returns it with the second
// scanner's read from it on, through its own buffer (the window's, of at
// least bufSize bytes), which hands each project to done; stop ends that
// read early. at is 0 when there is
// no guess. The guess is on the way of both scanners, so a small window
// is tried first: most projects are a few kilobytes.
func guessTail(r io.ReaderAt, size int64, bufSize int, stop *atomic.Bool, done func(*claudeProject)) (at int, second func() *claudeTail) {
	if runtime.GOMAXPROCS(0) < 2 {
		return 0, nil
	}
	mid := size / 2
	var buf []byte
	for _, w := range []int{64 << 10, boundaryWindow} {
		if len(buf) < w {
			buf = make([]byte, max(w, bufSize))
		}
		n, err := r.ReadAt(buf[:min(int64(w), size-mid)], mid)
		if err != nil && !errors.Is(err, io.EOF) || n == 0 {
			return 0, nil // the first scanner meets the problem itself
		}
		if k := projectBoundary(buf[:n], 0); k > 0 {
			s := newStreamScanner(r, mid+int64(n), size, buf)
			s.data, s.base, s.src.stop = buf[k:n], int(mid)+k, stop
			return int(mid) + k, func() *claudeTail { return scanTail(s, done) }
		}
		if n < w {
			break // the window held the rest of the input
		}
	}
	return 0, nil
}

// boundaryWindow is what projectBoundary may read past where it starts
// looking: 1 MB to find a comma, 1 MB of the project after it, and the
// next key.
const boundaryWindow = 2<<20 + 64<<10

// scanTail is readTail with s positioned at the boundary.
func scanTail(s *jsonScanner, done func(*claudeProject)) (t *claudeTail) {
	t = &claudeTail{}
	s.depth = 2
	t.m = &claudeMain{projects: map[string]*claudeProject{}}
	t.r = &mainReader{s: s, m: t.m, done: done}
	ok := s.members(t.r.project)
	if ok {
		more, closed := s.next() // back in the top-level object
		ok = closed
		if more {
			ok = s.members(t.r.top)
		}
	}
	s.ws()
	t.ok = ok && s.pos == len(s.data) && s.err == nil && (s.src == nil || s.src.err == nil)
	return t
}

// join adds what the second scanner read to m, as one scanner reading on
// would have: later projects replace earlier ones of the same directory,
// a later "projects" replaces them all, and a later mcpServers wins.
func (t *claudeTail) join(m *claudeMain) {
	if t.r.projectsKeys > 0 {
		m.projects = t.m.projects
	} else {
		for dir, p := range t.m.projects {
			m.projects[dir] = p
		}
	}
	if t.r.serversKeys > 0 {
		m.servers = t.m.servers
	}
}
