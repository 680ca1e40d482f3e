package registry

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync/atomic"

	"github.com/tidwall/gjson"
)

// claudeMain is what mcpmend needs from ~/.claude.json. The file can be
// 100 MB of prompt history; only these few members are kept, as raw JSON.
type claudeMain struct {
	file     string
	servers  []byte // top-level mcpServers, raw
	projects map[string]*claudeProject
}

// claudeProject is one projects["<dir>"] entry.
type claudeProject struct {
	dir      string
	servers  string   // mcpServers, raw ("" when absent): a string, so gjson parses it without a copy
	disabled []string // disabledMcpServers
	trusted  bool     // hasTrustDialogAccepted

	pre *ccPrepared // its files, read by a discovery worker
}

// claudeMainFile is the file Claude Code keeps its state in: the legacy
// <config home>/.config.json when it exists and ~/.claude.json does not
// (Claude Code still falls back to it), else ~/.claude.json.
func claudeMainFile(env Env) string {
	main := env.ClaudeJSON()
	if _, err := os.Stat(main); errors.Is(err, fs.ErrNotExist) {
		legacy := filepath.Join(env.ClaudeConfigHome(), ".config.json")
		if st, err := os.Stat(legacy); err == nil && st.Mode().IsRegular() && st.Size() > 0 {
			return legacy
		}
	}
	return main
}

// readClaudeMain reads ~/.claude.json (path) in one validating pass,
// handing each project to done as soon as it is scanned (nil: none). A
// missing or empty file gives nil and no problem.
//
// done may be called from two goroutines at once (a large file is read in
// two halves, see claudecode_split.go), in no particular order, and for
// projects that are not kept (a later one of the same directory replaces
// it, or the second half was read for nothing); every project kept has
// been handed to it, and none is handed on after readClaudeMain returns.
func readClaudeMain(env Env, path string, done func(*claudeProject)) (*claudeMain, *Problem) {
	if m, ok := readClaudeMainStream(path, streamBufSize, done); ok {
		return m, nil
	}
	data, err := readLarge(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, &Problem{Client: ClaudeCode, File: path, Message: "cannot read: " + errText(err)}
	}
	return readClaudeMainBytes(path, data, done)
}

// streamMinSize is the size from which ~/.claude.json is scanned as it is
// read, through a small reused buffer, rather than read whole first.
//
// Read whole, a 100 MB file is 100 MB of fresh memory, and the kernel
// zeroes every fresh page before the read fills it: on a virtual machine
// that zeroing was 29% of `mcpmend list`'s CPU, whether in 4 KB
// heap pages or 2 MB huge pages (which also stalled once for 200 ms while
// the kernel compacted memory to find them); a mapping of the page cache
// instead costs a page table entry per 4 KB, slower still. Read again and
// again into the same small buffer, the file is copied once out of the
// page cache into memory that stays in the CPU's cache, and nothing is
// zeroed: its time no longer depends on whether the kernel has huge pages
// at hand. (Read and scanned by two scanners, the 100 MB file took about
// as long as through huge pages, within ±15% from run to run on a shared
// VM; single-threaded, 10% less.) Nothing the scan keeps refers to the
// buffer: what is kept is copied.
const streamMinSize = 1 << 20

// streamBufSize is the buffer each scanner reads through; it grows only
// while one kept value (such as a huge mcpServers) is longer. Half a
// megabyte of L2 cache holds it while it is scanned: on the benchmark's
// VM, 128 and 256 KB scanned the 100 MB file 10–20% faster than 1 MB.
const streamBufSize = 256 << 10

// readClaudeMainStream is readClaudeMain for a large file, scanned as it is
// read (see streamMinSize). ok is false when the file is small, cannot be
// opened, is not valid JSON, or changed size while it was read: the caller
// then reads it whole, which gives the exact line and column of a syntax
// error, and what the file holds now. done may have seen some projects by
// then; it sees them again.
func readClaudeMainStream(path string, bufSize int, done func(*claudeProject)) (m *claudeMain, ok bool) {
	f, st, err := openRegular(path, maxClaudeJSONSize)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	if st.Size() < streamMinSize {
		return nil, false
	}
	at := 0 // one scanner
	if st.Size() >= int64(splitMinSize) {
		at = -1 // two, from a guessed boundary
	}
	m, ok = scanClaudeMain(path, f, st.Size(), bufSize, at, done)
	if n, _ := f.ReadAt(make([]byte, 1), st.Size()); n > 0 {
		return nil, false // it grew while it was read
	}
	return m, ok
}

// scanClaudeMain scans the first size bytes of r through a buffer of
// bufSize bytes, with a second scanner reading from at on through its own
// (see claudecode_split.go): 0 for none, -1 for a boundary guessed past
// the middle (guessTail). ok is false when the input is not valid JSON or
// could not be read to size.
func scanClaudeMain(path string, r io.ReaderAt, size int64, bufSize, at int, done func(*claudeProject)) (m *claudeMain, ok bool) {
	s := newStreamScanner(r, 0, size, make([]byte, bufSize))
	for len(s.data) < len(bom) && s.more() {
	}
	if bytes.HasPrefix(s.data, bom) {
		s.pos = len(bom)
	}
	var second func() *claudeTail
	var stop atomic.Bool
	switch {
	case at < 0:
		at, second = guessTail(r, size, bufSize, &stop, done)
	case at > 0:
		second = func() *claudeTail {
			t := newStreamScanner(r, int64(at), size, make([]byte, bufSize))
			t.src.stop = &stop
			return scanTail(t, done)
		}
	}
	m, ok = scanMain(path, s, done, at, second, func() { stop.Store(true) })
	if s.src.err != nil {
		return nil, false
	}
	return m, ok
}

// bom is the UTF-8 byte order mark, as Windows editors write it: skipped
// at the start of the file, as every config reader here does.
var bom = []byte("\xef\xbb\xbf")

// readClaudeMainBytes parses the file's contents (see readClaudeMain).
func readClaudeMainBytes(path string, data []byte, done func(*claudeProject)) (*claudeMain, *Problem) {
	data = bytes.TrimPrefix(data, bom)
	return readClaudeMainAt(path, data, done, splitAt(data))
}

// readClaudeMainAt is readClaudeMainBytes with a second scanner reading
// from at on (0: none).
func readClaudeMainAt(path string, data []byte, done func(*claudeProject), at int) (*claudeMain, *Problem) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil
	}
	m, ok := scanMain(path, &jsonScanner{data: data}, done, at, func() *claudeTail { return readTail(data, at, done) }, nil)
	if !ok {
		line, col, msg := SyntaxPosition(data)
		return nil, &Problem{Client: ClaudeCode, File: path, Line: line, Column: col, Message: "invalid JSON: " + msg + " (Claude Code cannot load this file either)"}
	}
	return m, nil
}

// scanMain reads the whole of ~/.claude.json with s, and, when at is not
// 0, second's reading from at on in another goroutine; cancel (nil: none)
// tells second its half is not wanted. ok is false for invalid JSON.
func scanMain(path string, s *jsonScanner, done func(*claudeProject), at int, second func() *claudeTail, cancel func()) (m *claudeMain, ok bool) {
	m = &claudeMain{file: path, projects: map[string]*claudeProject{}}
	r := &mainReader{s: s, m: m, done: done}
	var tail *claudeTail
	if at > 0 {
		got := make(chan *claudeTail, 1)
		go func() { got <- second() }()
		// The second scanner reads the same input: it is done before the
		// caller closes or reuses it, whatever the first one decides.
		defer func() {
			if tail == nil {
				if cancel != nil {
					cancel()
				}
				<-got
			}
		}()
		s.handoffAt, s.handoffDepth = at, -1 // armed only inside "projects" (see top)
		s.handoff = func() bool {
			s.handoff = nil // asked once: the tail is received once
			tail = <-got
			return tail.ok
		}
	}
	if !s.document(r.top) {
		return nil, false
	}
	if s.stopped {
		tail.join(m)
	}
	return m, true
}

// mainReader picks what discovery needs out of ~/.claude.json as its
// scanner crosses it: the top-level mcpServers and each project, handed
// to done as soon as it is read.
type mainReader struct {
	s    *jsonScanner
	m    *claudeMain
	done func(*claudeProject)
	// projectsKeys and serversKeys count the top-level "projects" and
	// "mcpServers" members read (see claudeTail.join).
	projectsKeys, serversKeys int
}

// top reads one top-level member.
func (r *mainReader) top(key string) bool {
	s := r.s
	switch key {
	case "mcpServers":
		// JSON.parse keeps the last of duplicate keys, here and inside.
		r.serversKeys++
		raw, ok := s.skip()
		if ok {
			r.m.servers = bytes.Clone(dedupeJSON(raw)) // not a view of the file's bytes (see streamMinSize)
		}
		return ok
	case "projects":
		r.projectsKeys++
		r.m.projects = map[string]*claudeProject{} // a repeated "projects" replaces the earlier one
		if s.peek() != '{' {
			return s.value()
		}
		if s.handoff != nil { // a guessed boundary counts only among this object's members
			s.handoffDepth = s.depth + 1
			defer func() { s.handoffDepth = -1 }()
		}
		return s.object(r.project)
	}
	return s.value()
}

// project reads one member of "projects".
func (r *mainReader) project(dir string) bool {
	s := r.s
	if s.peek() != '{' {
		return s.value()
	}
	p := &claudeProject{dir: dir}
	r.m.projects[dir] = p
	ok := s.object(func(k string) bool { return p.member(s, k) })
	if ok && r.done != nil {
		r.done(p)
	}
	return ok
}

// member keeps the project members discovery needs and skips the rest.
func (p *claudeProject) member(s *jsonScanner, key string) bool {
	switch key {
	case "mcpServers":
		raw, ok := s.skip()
		if ok {
			p.servers = string(dedupeJSON(raw)) // last of duplicate keys wins, as in JSON.parse; a copy (see streamMinSize)
		}
		return ok
	case "disabledMcpServers":
		raw, ok := s.skip()
		p.disabled = stringList(raw)
		return ok
	case "hasTrustDialogAccepted":
		raw, ok := s.skip()
		p.trusted = string(raw) == "true"
		return ok
	}
	return s.value()
}

// stringList reads a JSON array of strings; other values are ignored.
func stringList(raw []byte) []string {
	var out []string
	for _, v := range gjson.ParseBytes(raw).Array() {
		if v.Type == gjson.String {
			out = append(out, v.Str)
		}
	}
	return out
}

// projectDirs returns the project keys in a stable order.
func (m *claudeMain) projectDirs() []string {
	if m == nil {
		return nil
	}
	dirs := make([]string, 0, len(m.projects))
	for d := range m.projects {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	return dirs
}

// project returns projects[dir], nil when absent.
func (m *claudeMain) project(dir string) *claudeProject {
	if m == nil {
		return nil
	}
	return m.projects[dir]
}

// readLarge reads a whole file like readBounded, a big one in four
// concurrent parts: copying 100 MB out of the page cache is a fifth of
// Discover's time, and it divides. A file that changes size while it is
// read is read again the ordinary way.
func readLarge(path string) ([]byte, error) {
	f, st, err := openRegular(path, maxClaudeJSONSize)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st.Size() < 16<<20 {
		return readBounded(path, maxClaudeJSONSize)
	}
	size := st.Size()
	buf := make([]byte, size)
	err = readAtParts(f, buf, 4)
	if n, _ := f.ReadAt(make([]byte, 1), size); err != nil || n > 0 {
		return readBounded(path, maxClaudeJSONSize)
	}
	return buf, nil
}

// readAtParts fills buf from the start of f in parts read at once: the
// copy out of the page cache, and the kernel's zeroing of fresh pages on
// first touch, divide between cores.
func readAtParts(f *os.File, buf []byte, parts int) error {
	chunk := len(buf) / parts
	if chunk == 0 {
		chunk, parts = len(buf), 1
	}
	errs := make(chan error, parts)
	for i := range parts {
		lo, hi := i*chunk, (i+1)*chunk
		if i == parts-1 {
			hi = len(buf)
		}
		go func() {
			_, err := f.ReadAt(buf[lo:hi], int64(lo))
			errs <- err
		}()
	}
	var err error
	for range parts {
		err = errors.Join(err, <-errs)
	}
	return err
}
