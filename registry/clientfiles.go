package registry

import (
	"path/filepath"

	"github.com/tidwall/gjson"
)

// configFile is one JSON file a client reads servers from.
type configFile struct {
	scope   string // as the client names it: user, global, project, workspace
	project string // the project directory, for project and workspace files
	path    string
	servers string // gjson path of the servers map inside the file
	jsonc   bool   // comments and trailing commas allowed
	// untrusted, when set, is how to trust the folder in the client: the
	// client's own trust record for it does not say yes, so its servers
	// are never started or dialled.
	untrusted string
}

// fillFunc turns one entry into a server: v is the entry, doc the whole file
// (for file-level settings such as VS Code's inputs).
type fillFunc func(s *Server, v, doc gjson.Result)

// readServers reads every file, highest precedence first, and applies the
// precedence: for each name the first definition the client uses wins and the
// rest are shadowed by it. Missing files are skipped; unreadable and malformed
// ones become problems while the others are still read.
func readServers(client string, files []configFile, fill fillFunc) ([]Server, []Problem) {
	var servers []Server
	var problems []Problem
	for _, f := range files {
		s, p := readServersFile(client, f, fill)
		servers = append(servers, s...)
		problems = append(problems, p...)
	}
	shadow(servers)
	return servers, problems
}

// readServersFile lists the entries of one file's servers map.
func readServersFile(client string, f configFile, fill fillFunc) ([]Server, []Problem) {
	read := readJSON
	if f.jsonc {
		read = readJSONC
	}
	data, prob, ok := read(client, f.path)
	if prob != nil {
		return nil, []Problem{*prob}
	}
	if !ok {
		return nil, nil
	}
	doc := gjson.ParseBytes(data)
	if !doc.IsObject() {
		return nil, []Problem{{Client: client, File: f.path, Message: "the file holds " + kindOf(doc) + ", not an object"}}
	}
	m := doc.Get(f.servers)
	if !m.Exists() {
		return nil, nil
	}
	if !m.IsObject() {
		return nil, []Problem{{Client: client, File: f.path, Message: f.servers + " is " + kindOf(m) + ", not an object"}}
	}
	var out []Server
	m.ForEach(func(k, v gjson.Result) bool {
		s := Server{
			Name: k.String(), Client: client, Scope: f.scope, Project: f.project,
			File: f.path, Path: f.servers + "." + escape(k.String()), Effective: true,
		}
		fill(&s, v, doc)
		if f.untrusted != "" {
			s.untrust(f.untrusted)
		}
		out = append(out, s)
		return true
	})
	return out, nil
}

// shadow applies precedence to servers listed highest precedence first: for
// each name the first definition the client uses (Effective) wins, and every
// later one is marked not effective, shadowed by it. An entry the client
// ignores (already not Effective) shadows nothing.
func shadow(servers []Server) {
	winner := map[string]int{}
	for i := range servers {
		s := &servers[i]
		if w, ok := winner[s.Name]; ok {
			s.Effective = false
			s.ShadowedBy = servers[w].Scope + " " + servers[w].File
			continue
		}
		if s.Effective {
			winner[s.Name] = i
		}
	}
}

// projectFile returns <CWD>/elem… as a project-scoped file, or ok=false when
// there is no current directory or the file would be the user-level one (the
// home directory is no project).
func projectFile(env Env, userPath string, elem ...string) (string, bool) {
	if env.CWD == "" {
		return "", false
	}
	p := filepath.Join(append([]string{env.CWD}, elem...)...)
	return p, filepath.Clean(p) != filepath.Clean(userPath)
}

// placeJSONWorkDirs sets where each server starts: a trusted project
// server in its project folder, everything else in the home directory.
func placeJSONWorkDirs(env Env, servers []Server) {
	for i := range servers {
		s := &servers[i]
		s.placeWorkDir(env, s.Project, s.Project != "" && !s.Untrusted, "")
	}
}
