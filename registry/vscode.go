package registry

import (
	"path/filepath"
	"strings"

	"github.com/mcpmend/mcpmend/internal/lazyre"

	"github.com/tidwall/gjson"
)

// discoverVSCode reads VS Code's workspace .vscode/mcp.json, the user
// mcp.json, and the legacy "mcp": {"servers": …} block of the user
// settings.json (which VS Code migrates into mcp.json), in that precedence.
// All three are JSON with comments.
func discoverVSCode(env Env) ([]Server, []Problem) {
	userDir := filepath.Join(env.AppData(), "Code", "User")
	user := filepath.Join(userDir, "mcp.json")
	var files []configFile
	if p, ok := projectFile(env, user, ".vscode", "mcp.json"); ok {
		files = append(files, configFile{scope: "workspace", project: env.CWD, path: p, servers: "servers", jsonc: true, untrusted: vscodeTrustHint(env.CWD)})
	}
	files = append(files,
		configFile{scope: "user", path: user, servers: "servers", jsonc: true},
		configFile{scope: "user", path: filepath.Join(userDir, "settings.json"), servers: "mcp.servers", jsonc: true},
	)
	servers, problems := readServers(VSCode, files, func(s *Server, v, doc gjson.Result) {
		entry(s, v, env)
		inputs := doc.Get("inputs")
		if strings.HasPrefix(s.Path, "mcp.servers.") {
			inputs = doc.Get("mcp.inputs")
		}
		s.Problems = append(s.Problems, undefinedInputs(s.Raw, inputs)...)
	})
	placeJSONWorkDirs(env, servers)
	return servers, problems
}

// inputRef matches VS Code's ${input:id} prompt references.
var inputRef = lazyre.New(`\$\{input:([^}]+)\}`)

// undefinedInputs reports ${input:id} references in an entry that the file's
// inputs list does not define: VS Code cannot prompt for them, so the server
// starts with the literal text. Defined inputs are fine: VS Code asks once
// and keeps the answer in its own secret storage.
func undefinedInputs(r Raw, inputs gjson.Result) []string {
	defined := map[string]bool{}
	for _, in := range inputs.Array() {
		defined[in.Get("id").String()] = true
	}
	type use struct {
		where string
		value Secret
	}
	check := []use{{"url", r.URL}}
	for _, a := range r.Args {
		check = append(check, use{"args", a})
	}
	for _, e := range r.Env {
		check = append(check, use{"env " + e.Name, e.Value})
	}
	for _, h := range r.Headers {
		check = append(check, use{"header " + h.Name, h.Value})
	}
	var out []string
	seen := map[string]bool{}
	for _, c := range check {
		for _, m := range inputRef.FindAllStringSubmatch(c.value.Reveal(), -1) {
			if id := m[1]; !defined[id] && !seen[id] {
				seen[id] = true
				out = append(out, c.where+" uses ${input:"+id+"}, which inputs does not define")
			}
		}
	}
	return out
}
