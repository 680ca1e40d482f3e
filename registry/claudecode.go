package registry

import (
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/tidwall/gjson"
)

// Claude Code's scopes, as `claude mcp` names them.
const (
	ScopeUser       = "user"
	ScopeLocal      = "local"
	ScopeProject    = "project"
	ScopeEnterprise = "enterprise" // managed-mcp.json
	ScopeManaged    = "managed"    // managed-settings.json managedMcpServers
)

// ccContext is one project as Claude Code sees it when started there: the
// precedence of one name is decided per project.
type ccContext struct {
	dir      string         // where Claude Code runs ("" for none)
	proj     *claudeProject // projects[key] in ~/.claude.json, nil when absent
	key      string         // the projects key: dir, or its git root
	mcpDirs  []string       // where .mcp.json files are read, nearest first
	settings []string       // where .claude/settings*.json are read
	other    bool           // another project than env.CWD's: its folder may be long gone
}

// discoverClaudeCode lists Claude Code's servers.
//
// Each server is listed once, where it is defined, and judged in one
// project: local and project servers in their own project, user servers in
// env.CWD's project (as `claude mcp list` run there would show them).
//
// ~/.claude.json can be 100 MB with thousands of projects: while it is
// scanned, workers already parse each finished project's servers and read
// its files (prepare); precedence is then decided in one goroutine.
func discoverClaudeCode(env Env) ([]Server, []Problem) {
	d := &ccDiscovery{env: env, settings: newSettingsReader(), seen: map[string]bool{}}
	mainFile := claudeMainFile(env)
	cwd := d.cwdContext()

	jobs := make(chan *claudeProject, 1024)
	var wg sync.WaitGroup
	for range max(1, runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			memo := serverMemo{}
			for p := range jobs {
				if p.dir != cwd.key && p.dir != cwd.dir {
					p.pre = d.prepare(projectContext(p), mainFile, memo)
				}
			}
		})
	}
	main, prob := readClaudeMain(env, mainFile, func(p *claudeProject) { jobs <- p })
	close(jobs)
	wg.Wait()

	d.addProblem(prob)
	d.settings.read(filepath.Join(env.ClaudeConfigHome(), "settings.json"))
	d.problems = append(d.problems, legacyProblems(env)...)
	d.readManaged()
	if main != nil {
		d.user = d.parse(ccSource{file: mainFile, scope: ScopeUser, prefix: "mcpServers.", expand: true}, main.servers)
	}
	d.resolve(d.org, nil, nil) // the organisation's servers among themselves

	cwd.proj = main.project(cwd.key)
	if slash := filepath.ToSlash(cwd.key); cwd.proj == nil && slash != cwd.key && main.project(slash) != nil {
		cwd.key, cwd.proj = slash, main.project(slash) // Windows keys may be written with '/'
	}
	d.project(cwd, d.prepare(cwd, mainFile, nil), true)
	for _, dir := range main.projectDirs() {
		if p := main.project(dir); dir != cwd.key && dir != cwd.dir {
			d.project(projectContext(p), p.pre, false)
		}
	}

	d.placeWorkDirs(main, cwd)
	servers := make([]Server, 0, len(d.all))
	for _, s := range d.all {
		servers = append(servers, *s.Server)
	}
	return servers, append(d.problems, d.settings.problems...)
}

// ccDiscovery holds what is shared while discovering.
type ccDiscovery struct {
	env       Env
	settings  *settingsReader
	seen      map[string]bool // .mcp.json files whose problems are reported
	dirs      dirIndex        // rules out project folders that are gone
	org       []*ccServer     // enterprise then managed servers
	user      []*ccServer     // ~/.claude.json mcpServers
	exclusive string          // managed-mcp.json when present: it has exclusive control
	all       []*ccServer
	problems  []Problem
}

func (d *ccDiscovery) addProblem(p *Problem) {
	if p != nil {
		d.problems = append(d.problems, *p)
	}
}

// parse reads one mcpServers value and records its servers.
func (d *ccDiscovery) parse(src ccSource, raw []byte) []*ccServer {
	if raw == nil {
		return nil
	}
	servers, probs := parseServers(src, gjson.ParseBytes(raw), d.env)
	d.problems = append(d.problems, probs...)
	d.all = append(d.all, servers...)
	return servers
}

// readManaged reads the enterprise directory: managed-mcp.json (exclusive
// control when present, even when it cannot be read: Claude Code then loads
// no servers but the organisation's) and managed-settings.json.
func (d *ccDiscovery) readManaged() {
	dir := claudeManagedDir(d.env)
	ent := filepath.Join(dir, "managed-mcp.json")
	doc, prob, ok := readJSON(ClaudeCode, ent)
	d.addProblem(prob)
	if ok || prob != nil {
		d.exclusive = ent
	}
	if ok {
		d.org = append(d.org, d.parse(ccSource{file: ent, scope: ScopeEnterprise, prefix: "mcpServers."}, []byte(gjson.GetBytes(doc, "mcpServers").Raw))...)
	}
	ms := filepath.Join(dir, "managed-settings.json")
	if doc, prob, ok := readJSON(ClaudeCode, ms); ok {
		d.org = append(d.org, d.parse(ccSource{file: ms, scope: ScopeManaged, prefix: "managedMcpServers.", managed: true}, []byte(gjson.GetBytes(doc, "managedMcpServers").Raw))...)
	} else {
		d.addProblem(prob)
	}
}

// cwdContext is the project Claude Code would use if started in env.CWD:
// projects keyed by the git root, .mcp.json from the directory and every
// one above it, settings from the directory and the git root. Its proj is
// filled in once ~/.claude.json is read.
func (d *ccDiscovery) cwdContext() ccContext {
	if d.env.CWD == "" {
		return ccContext{}
	}
	dir := filepath.Clean(d.env.CWD)
	key := gitRoot(dir)
	if key == "" {
		key = dir
	}
	c := ccContext{dir: dir, key: key, mcpDirs: ancestors(dir), settings: []string{dir}}
	if key != dir {
		c.settings = append(c.settings, key)
	}
	return c
}

// projectContext is another project of ~/.claude.json, seen from its own
// directory.
func projectContext(p *claudeProject) ccContext {
	return ccContext{dir: p.dir, proj: p, key: p.dir, mcpDirs: []string{p.dir}, settings: []string{p.dir}, other: true}
}

// ccPrepared is one project's files, read and parsed by a worker.
type ccPrepared struct {
	local      []*ccServer
	localProbs []Problem
	files      []ccMCPFile      // .mcp.json files, nearest first
	settings   []ccSettingsFile // read only when there are .mcp.json servers
}

// ccMCPFile is one .mcp.json as read from one project.
type ccMCPFile struct {
	path    string
	servers []*ccServer
	probs   []Problem
	prob    *Problem
}

// prepare reads and parses what one project defines. It touches nothing
// shared, so workers run it concurrently, each with its own memo.
func (d *ccDiscovery) prepare(c ccContext, mainFile string, memo serverMemo) *ccPrepared {
	pre := &ccPrepared{}
	if c.proj != nil && c.proj.servers != "" {
		pre.local, pre.localProbs = parseServers(ccSource{file: mainFile, scope: ScopeLocal, project: c.key, expand: true, memo: memo,
			prefix: "projects." + escape(c.key) + ".mcpServers."}, gjson.Parse(c.proj.servers), d.env)
	}
	shared := false
	for _, dir := range c.mcpDirs {
		if c.other && !d.dirs.mayExist(dir) {
			continue // another project's folder, gone: nothing to read there
		}
		f := ccMCPFile{path: filepath.Join(dir, ".mcp.json")}
		doc, prob, ok := readJSON(ClaudeCode, f.path)
		f.prob = prob
		if ok {
			// Not expanded yet: ${VAR} is expanded only into the servers
			// Claude Code would run (see trustProjectServers).
			src := ccSource{file: f.path, scope: ScopeProject, project: c.dir, prefix: "mcpServers.", memo: memo}
			f.servers, f.probs = parseServers(src, gjson.GetBytes(doc, "mcpServers"), d.env)
			shared = shared || len(f.servers) > 0
		}
		if ok || prob != nil {
			pre.files = append(pre.files, f)
		}
	}
	if shared {
		for _, path := range projectSettingsFiles(c.settings) {
			s, prob := readSettings(path)
			pre.settings = append(pre.settings, ccSettingsFile{path: path, settings: s, prob: prob})
		}
	}
	return pre
}

// project records one project's local and .mcp.json servers and judges
// them against the organisation's and the user's; ownsUser says whether
// this project also decides the user servers' status (env.CWD's does).
func (d *ccDiscovery) project(c ccContext, pre *ccPrepared, ownsUser bool) {
	if pre == nil {
		return
	}
	d.all = append(d.all, pre.local...)
	d.problems = append(d.problems, pre.localProbs...)
	var shared []*ccServer
	for _, f := range pre.files {
		if !d.seen[f.path] {
			d.seen[f.path] = true
			d.addProblem(f.prob)
			d.problems = append(d.problems, f.probs...)
		}
		d.all = append(d.all, f.servers...)
		shared = append(shared, f.servers...)
	}
	if len(shared) > 0 {
		a := d.settings.projectApprovals(d.env, pre.settings, c.proj != nil && c.proj.trusted)
		for _, s := range shared {
			s.Approval = a.of(s.Name)
		}
		d.trustProjectServers(c, shared)
	}
	owned := append(append([]*ccServer{}, pre.local...), shared...)
	if ownsUser {
		owned = append(owned, d.user...)
	}
	var disabled []string
	if c.proj != nil {
		disabled = c.proj.disabled
	}
	cands := append(append(append(append([]*ccServer{}, d.org...), pre.local...), shared...), d.user...)
	d.resolve(cands, owned, disabled)
}

// resolve applies precedence to cands, which are in precedence order:
// enterprise, managed, local, project (nearest .mcp.json first), user. Only
// owned servers are updated; the others are judged in their own project.
// A nil owned means every candidate is owned.
//
// A project has a handful of candidates: they are searched in place, and
// only more than smallSet are indexed by name (5,000 projects each built
// three maps for three servers).
func (d *ccDiscovery) resolve(cands, owned []*ccServer, disabled []string) {
	if owned == nil {
		owned = cands
	}
	var winners map[string]*ccServer
	if len(cands) > smallSet {
		winners = make(map[string]*ccServer, len(cands))
		for _, s := range cands {
			if _, done := winners[s.Name]; !done && d.loadable(s) {
				winners[s.Name] = s
			}
		}
	}
	var off map[string]bool
	if len(disabled) > smallSet {
		off = make(map[string]bool, len(disabled))
		for _, n := range disabled {
			off[n] = true
		}
	}
	for _, s := range owned {
		w := d.firstLoadable(cands, s.Name)
		if winners != nil {
			w = winners[s.Name]
		}
		s.Effective = w == s
		s.Disabled = slices.Contains(disabled, s.Name)
		if off != nil {
			s.Disabled = off[s.Name]
		}
		if s.Effective || s.skipped {
			continue
		}
		if s.Scope == ScopeProject && s.Approval != Approved {
			continue // pending or rejected: not loaded, whatever else exists
		}
		if w != nil {
			s.ShadowedBy = w.Scope + " " + w.File
		}
		if d.exclusive != "" && !isOrg(s) {
			s.Problems = append(s.Problems, fmt.Sprintf("not loaded: %s gives the organisation exclusive control of MCP servers", d.exclusive))
		}
	}
}

// smallSet is how many candidates or disabled names resolve searches in
// place rather than indexes (a variable so a test can make it index all).
var smallSet = 16

// firstLoadable is the first of cands named name that Claude Code would
// load, nil for none; nothing when cands is indexed (more than smallSet).
func (d *ccDiscovery) firstLoadable(cands []*ccServer, name string) *ccServer {
	if len(cands) > smallSet {
		return nil
	}
	for _, s := range cands {
		if s.Name == name && d.loadable(s) {
			return s
		}
	}
	return nil
}

// loadable reports whether Claude Code would load s if nothing shadowed it.
func (d *ccDiscovery) loadable(s *ccServer) bool {
	switch {
	case s.skipped:
		return false
	case s.Scope == ScopeProject && s.Approval != Approved:
		return false
	case d.exclusive != "" && !isOrg(s):
		return false
	}
	return true
}

// isOrg reports whether the organisation delivers s (enterprise or managed).
func isOrg(s *ccServer) bool { return s.Scope == ScopeEnterprise || s.Scope == ScopeManaged }

// trustProjectServers decides which .mcp.json servers Claude Code would
// run: approved ones in a folder whose trust dialog was accepted. Those are
// parsed again with ${VAR} expanded and start in the project folder; the
// others are untrusted, keep their references as written and say how to
// trust them.
func (d *ccDiscovery) trustProjectServers(c ccContext, shared []*ccServer) {
	trusted := c.proj != nil && c.proj.trusted
	for _, s := range shared {
		if s.Approval != Approved || !trusted {
			s.untrust(claudeTrustHint(c.dir, s.Approval))
			continue
		}
		src := ccSource{file: s.File, scope: ScopeProject, project: s.Project, prefix: strings.TrimSuffix(s.Path, escape(s.Name)), expand: true}
		approval := s.Approval
		x := claudeServer(src, s.Name, gjson.Parse(s.Raw.Entry), d.env)
		*s.Server, s.skipped = *x.Server, x.skipped
		s.Approval = approval
		s.placeWorkDir(d.env, c.dir, true, "")
	}
}

// placeWorkDirs decides where each user, organisation and local server
// starts: Claude Code starts them in the session's folder (local servers:
// their project's) once that folder's trust dialog was accepted; mcpmend
// starts them there when it was, else in the home directory.
func (d *ccDiscovery) placeWorkDirs(main *claudeMain, cwd ccContext) {
	for _, s := range d.all {
		dir, proj := cwd.dir, cwd.proj
		switch s.Scope {
		case ScopeProject:
			if s.WorkDir == "" { // untrusted: never started
				s.placeWorkDir(d.env, "", false, "")
			}
			continue
		case ScopeLocal:
			dir, proj = s.Project, main.project(s.Project)
		}
		trusted := proj != nil && proj.trusted
		why := "" // written only where it is said: 15,000 servers, mostly trusted
		if !trusted {
			why = fmt.Sprintf("Claude Code starts this server in %s only once that folder's trust dialog is accepted (hasTrustDialogAccepted), which it is not: mcpmend starts it in the home directory", dir)
		}
		s.placeWorkDir(d.env, dir, trusted, why)
	}
}
