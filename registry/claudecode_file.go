package registry

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"

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
func readClaudeMain(env Env, path string, done func(*claudeProject)) (*claudeMain, *Problem) {
	if m, prob, ok := readClaudeMainMapped(path, done); ok {
		return m, prob
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

// mapMinSize is the size from which ~/.claude.json is read into huge
// pages (readHuge) or mapped rather than read into the heap: on a virtual
// machine faulting in 100 MB of fresh 4 KB heap pages took 200–300 ms of
// CPU, three times the scan itself.
const mapMinSize = 1 << 20

// readClaudeMainMapped is readClaudeMain for a large file, read into huge
// pages where linux offers them, else through a read-only mapping; ok is
// false when the file is small, cannot be read that way, or shrank while
// it was read or scanned (another program truncated it in place: through
// a mapping a fault, which the scan recovers from), and the caller reads
// it the ordinary way. Nothing kept refers to that memory
// (readClaudeMainBytes copies what it keeps), so it is released here.
func readClaudeMainMapped(path string, done func(*claudeProject)) (m *claudeMain, prob *Problem, ok bool) {
	f, st, err := openRegular(path, maxClaudeJSONSize)
	if err != nil || st.Size() < mapMinSize {
		if f != nil {
			f.Close()
		}
		return nil, nil, false
	}
	data, unmap, err := readHuge(f, st.Size())
	if errors.Is(err, errors.ErrUnsupported) {
		data, unmap, err = mapFile(f, st.Size())
	}
	f.Close()
	if err != nil {
		return nil, nil, false
	}
	defer unmap()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			if _, fault := r.(interface{ Addr() uintptr }); !fault {
				panic(r)
			}
			m, prob, ok = nil, nil, false
		}
	}()
	m, prob = readClaudeMainBytes(path, data, done)
	return m, prob, true
}

// readClaudeMainBytes parses the file's contents (see readClaudeMain).
func readClaudeMainBytes(path string, data []byte, done func(*claudeProject)) (*claudeMain, *Problem) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	return readClaudeMainAt(path, data, done, splitAt(data))
}

// readClaudeMainAt is readClaudeMainBytes with a second scanner reading
// from at on (0: none).
func readClaudeMainAt(path string, data []byte, done func(*claudeProject), at int) (*claudeMain, *Problem) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil
	}
	m := &claudeMain{file: path, projects: map[string]*claudeProject{}}
	s := &jsonScanner{data: data}
	r := &mainReader{s: s, m: m, done: done}
	var tail *claudeTail
	if at > 0 {
		got := make(chan *claudeTail, 1)
		go func() { got <- readTail(data, at) }()
		// The second scanner reads data: it must be done before the caller
		// unmaps it, whatever the first one decides.
		defer func() {
			if tail == nil {
				<-got
			}
		}()
		s.handoffAt, s.handoffDepth = at, -1 // armed only inside "projects" (see top)
		s.handoff = func() bool {
			tail = <-got
			return tail.ok
		}
	}
	ok := s.document(r.top)
	if !ok {
		line, col, msg := SyntaxPosition(data)
		return nil, &Problem{Client: ClaudeCode, File: path, Line: line, Column: col, Message: "invalid JSON: " + msg + " (Claude Code cannot load this file either)"}
	}
	if s.stopped {
		tail.join(m, done)
	}
	return m, nil
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
			r.m.servers = bytes.Clone(dedupeJSON(raw)) // not a view of the file's bytes (see readClaudeMainMapped)
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
			p.servers = string(dedupeJSON(raw)) // last of duplicate keys wins, as in JSON.parse; a copy (see readClaudeMainMapped)
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
	err = readAtParts(f, buf, 4, 1)
	if n, _ := f.ReadAt(make([]byte, 1), size); err != nil || n > 0 {
		return readBounded(path, maxClaudeJSONSize)
	}
	return buf, nil
}

// readAtParts fills buf from the start of f in parts read at once, each
// but the last a multiple of align bytes (a power of two) long: the copy
// out of the page cache, and the kernel's zeroing of fresh pages on first
// touch, divide between cores.
func readAtParts(f *os.File, buf []byte, parts, align int) error {
	chunk := len(buf) / parts &^ (align - 1)
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
