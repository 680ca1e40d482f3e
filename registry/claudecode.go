package registry

import (
	"fmt"
	"path/filepath"

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
}

// discoverClaudeCode lists Claude Code's servers.
//
// Each server is listed once, where it is defined, and judged in one
// project: local and project servers in their own project, user servers in
// env.CWD's project (as `claude mcp list` run there would show them).
func discoverClaudeCode(env Env) ([]Server, []Problem) {
	d := &ccDiscovery{env: env, settings: newSettingsReader(), mcpFiles: map[string][]*ccServer{}}
	main, prob := readClaudeMain(env)
	d.addProblem(prob)
	d.settings.read(filepath.Join(env.ClaudeConfigHome(), "settings.json"))
	d.problems = append(d.problems, legacyProblems(env)...)
	d.readManaged()

	mainFile := claudeMainFile(env)
	if main != nil {
		d.user = d.parse(ccSource{file: mainFile, scope: ScopeUser, prefix: "mcpServers.", expand: true}, main.servers)
	}
	d.resolve(d.org, nil, nil) // the organisation's servers among themselves

	cwd := d.cwdContext(main)
	d.project(cwd, mainFile, true)
	for _, dir := range main.projectDirs() {
		if dir == cwd.key || dir == cwd.dir {
			continue
		}
		p := main.project(dir)
		d.project(ccContext{dir: dir, proj: p, key: dir, mcpDirs: []string{dir}, settings: []string{dir}}, mainFile, false)
	}

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
	mcpFiles  map[string][]*ccServer // .mcp.json servers by file, read once
	org       []*ccServer            // enterprise then managed servers
	user      []*ccServer            // ~/.claude.json mcpServers
	exclusive string                 // managed-mcp.json when present: it has exclusive control
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
// one above it, settings from the directory and the git root.
func (d *ccDiscovery) cwdContext(main *claudeMain) ccContext {
	if d.env.CWD == "" {
		return ccContext{}
	}
	dir := filepath.Clean(d.env.CWD)
	key := gitRoot(dir)
	if key == "" {
		key = dir
	}
	c := ccContext{dir: dir, key: key, proj: main.project(key), mcpDirs: ancestors(dir), settings: []string{dir}}
	if key != dir {
		c.settings = append(c.settings, key)
	}
	return c
}

// project lists one project's local and .mcp.json servers and judges them
// against the organisation's and the user's; ownsUser says whether this
// project also decides the user servers' status (env.CWD's does).
func (d *ccDiscovery) project(c ccContext, mainFile string, ownsUser bool) {
	var local, shared []*ccServer
	if c.proj != nil {
		local = d.parse(ccSource{file: mainFile, scope: ScopeLocal, project: c.key, expand: true,
			prefix: "projects." + escape(c.key) + ".mcpServers."}, c.proj.servers)
	}
	for _, dir := range c.mcpDirs {
		shared = append(shared, d.mcpJSON(dir, c.dir)...)
	}
	if len(shared) > 0 {
		trusted := c.proj != nil && c.proj.trusted
		a := d.settings.projectApprovals(d.env, c.settings, trusted)
		for _, s := range shared {
			s.Approval = a.of(s.Name)
		}
	}
	owned := append(append([]*ccServer{}, local...), shared...)
	if ownsUser {
		owned = append(owned, d.user...)
	}
	var disabled []string
	if c.proj != nil {
		disabled = c.proj.disabled
	}
	cands := append(append(append(append([]*ccServer{}, d.org...), local...), shared...), d.user...)
	d.resolve(cands, owned, disabled)
}

// mcpJSON reads <dir>/.mcp.json as seen from project, once per (file,
// project). Problems in the file are reported once.
func (d *ccDiscovery) mcpJSON(dir, project string) []*ccServer {
	path := filepath.Join(dir, ".mcp.json")
	key := path + "\x00" + project
	if s, seen := d.mcpFiles[key]; seen {
		return s
	}
	_, fileSeen := d.mcpFiles[path]
	d.mcpFiles[path] = nil
	doc, prob, ok := readJSON(ClaudeCode, path)
	if !fileSeen {
		d.addProblem(prob)
	}
	var servers []*ccServer
	if ok {
		src := ccSource{file: path, scope: ScopeProject, project: project, prefix: "mcpServers.", expand: true}
		var probs []Problem
		servers, probs = parseServers(src, gjson.GetBytes(doc, "mcpServers"), d.env)
		if !fileSeen {
			d.problems = append(d.problems, probs...)
		}
		d.all = append(d.all, servers...)
	}
	d.mcpFiles[key] = servers
	return servers
}

// resolve applies precedence to cands, which are in precedence order:
// enterprise, managed, local, project (nearest .mcp.json first), user. Only
// owned servers are updated; the others are judged in their own project.
// A nil owned means every candidate is owned.
func (d *ccDiscovery) resolve(cands, owned []*ccServer, disabled []string) {
	if owned == nil {
		owned = cands
	}
	own := map[*ccServer]bool{}
	for _, s := range owned {
		own[s] = true
	}
	winners := map[string]*ccServer{}
	for _, s := range cands {
		if _, done := winners[s.Name]; !done && d.loadable(s) {
			winners[s.Name] = s
		}
	}
	off := map[string]bool{}
	for _, n := range disabled {
		off[n] = true
	}
	for _, s := range owned {
		w := winners[s.Name]
		s.Effective = w == s
		s.Disabled = off[s.Name]
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
