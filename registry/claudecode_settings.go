package registry

import (
	"fmt"
	"path/filepath"

	"github.com/tidwall/gjson"
)

// claudeSettings is the MCP approval part of one Claude Code settings file.
type claudeSettings struct {
	enabled   []string // enabledMcpjsonServers
	disabled  []string // disabledMcpjsonServers
	enableAll bool     // enableAllProjectMcpServers
}

// settingsReader reads each settings file once and reports each file's
// problems once, however many project contexts share it.
type settingsReader struct {
	files    map[string]*claudeSettings
	problems []Problem
}

func newSettingsReader() *settingsReader {
	return &settingsReader{files: map[string]*claudeSettings{}}
}

// read returns the file's approval settings, nil when it is missing or
// broken; each file is read and its problems reported once.
func (r *settingsReader) read(path string) *claudeSettings {
	if s, seen := r.files[path]; seen {
		return s
	}
	s, prob := readSettings(path)
	r.add(path, s, prob)
	return s
}

// add records a file read elsewhere (by a discovery worker).
func (r *settingsReader) add(path string, s *claudeSettings, prob *Problem) {
	if _, seen := r.files[path]; seen {
		return
	}
	r.files[path] = s
	if prob != nil {
		r.problems = append(r.problems, *prob)
	}
}

// readSettings reads one settings file; safe to call concurrently.
func readSettings(path string) (*claudeSettings, *Problem) {
	doc, prob, ok := readJSON(ClaudeCode, path)
	if !ok {
		return nil, prob
	}
	root := gjson.ParseBytes(doc)
	if !root.IsObject() {
		return nil, &Problem{Client: ClaudeCode, File: path, Message: fmt.Sprintf("settings file is %s, not an object: Claude Code ignores it", kindOf(root))}
	}
	return &claudeSettings{
		enabled:   stringList([]byte(root.Get("enabledMcpjsonServers").Raw)),
		disabled:  stringList([]byte(root.Get("disabledMcpjsonServers").Raw)),
		enableAll: root.Get("enableAllProjectMcpServers").Type == gjson.True,
	}, nil
}

// approvals is the combined decision of every settings file that applies in
// one project.
type approvals struct {
	enabled   map[string]bool
	disabled  map[string]bool
	enableAll bool
}

// add merges one file. Measured on Claude Code 2.1.328: a project's own
// settings files can approve servers only once the project is trusted, but
// their disabledMcpjsonServers reject servers even before.
func (a *approvals) add(s *claudeSettings, mayEnable bool) {
	if s == nil {
		return
	}
	if a.enabled == nil {
		a.enabled, a.disabled = map[string]bool{}, map[string]bool{}
	}
	for _, n := range s.disabled {
		a.disabled[n] = true
	}
	if !mayEnable {
		return
	}
	for _, n := range s.enabled {
		a.enabled[n] = true
	}
	a.enableAll = a.enableAll || s.enableAll
}

// of decides one .mcp.json server: disabled wins over enabled.
func (a *approvals) of(name string) string {
	switch {
	case a.disabled[name]:
		return Rejected
	case a.enableAll || a.enabled[name]:
		return Approved
	}
	return Pending
}

// ccSettingsFile is a project settings file as a discovery worker read it.
type ccSettingsFile struct {
	path     string
	settings *claudeSettings
	prob     *Problem
}

// projectSettingsFiles lists the .claude/settings.json and
// .claude/settings.local.json of each of dirs.
func projectSettingsFiles(dirs []string) []string {
	var out []string
	for _, d := range dirs {
		out = append(out, filepath.Join(d, ".claude", "settings.json"), filepath.Join(d, ".claude", "settings.local.json"))
	}
	return out
}

// projectApprovals combines the user and managed settings with the
// project's own settings files.
func (r *settingsReader) projectApprovals(env Env, files []ccSettingsFile, trusted bool) *approvals {
	a := &approvals{}
	a.add(r.read(filepath.Join(env.ClaudeConfigHome(), "settings.json")), true)
	// Managed settings are the highest settings source; Claude Code lists
	// these keys among the ones they may set (not measured: /etc is shared).
	a.add(r.read(filepath.Join(claudeManagedDir(env), "managed-settings.json")), true)
	for _, f := range files {
		r.add(f.path, f.settings, f.prob)
		a.add(f.settings, trusted)
	}
	return a
}

// legacyProblems reports the files Claude Code used to read MCP servers from
// and no longer does: servers defined there are silently missing.
func legacyProblems(env Env) []Problem {
	home := env.ClaudeConfigHome()
	var out []Problem
	settings := filepath.Join(home, "settings.json")
	if doc, _, ok := readJSON(ClaudeCode, settings); ok {
		if s := gjson.GetBytes(doc, "mcpServers"); s.Exists() {
			out = append(out, Problem{Client: ClaudeCode, File: settings,
				Message: fmt.Sprintf("mcpServers here (%s) is not read by Claude Code any more; add them with `claude mcp add-json -s user NAME JSON`", serverCount(s))})
		}
	}
	for _, name := range []string{"mcp.json", ".mcp.json"} {
		path := filepath.Join(home, name)
		doc, prob, ok := readJSON(ClaudeCode, path)
		if !ok && prob == nil {
			continue
		}
		count := "servers"
		if ok {
			count = serverCount(gjson.GetBytes(doc, "mcpServers"))
		}
		out = append(out, Problem{Client: ClaudeCode, File: path,
			Message: fmt.Sprintf("Claude Code does not read this file any more (%s); add them with `claude mcp add-json -s user NAME JSON`", count)})
	}
	return out
}

// serverCount describes how many servers a legacy mcpServers value holds.
func serverCount(v gjson.Result) string {
	n := 0
	v.ForEach(func(_, _ gjson.Result) bool { n++; return true })
	if n == 1 {
		return "1 server"
	}
	return fmt.Sprintf("%d servers", n)
}
