package registry

import (
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/tidwall/gjson"
)

// desktopConfig is Claude Desktop's config file name, the same in every folder.
const desktopConfig = "claude_desktop_config.json"

// desktopRemote is why a url entry is listed but not used: Desktop starts
// only stdio servers from its file; remote ones are added as Connectors.
const desktopRemote = "Claude Desktop skips remote entries; use Settings → Connectors"

// discoverDesktop reads claude_desktop_config.json. On Windows the Microsoft
// Store (MSIX) build reads its private copy under
// %LOCALAPPDATA%\Packages\Claude_*\LocalCache\Roaming\Claude in place of the
// one in %APPDATA%, so when such a copy exists it comes first and the plain
// file's entries are not effective.
func discoverDesktop(env Env) ([]Server, []Problem) {
	plain := filepath.Join(env.AppData(), "Claude", desktopConfig)
	var files []configFile
	for _, p := range desktopMSIXFiles(env) {
		files = append(files, configFile{scope: "user", path: p, servers: "mcpServers"})
	}
	msix := len(files) > 0
	files = append(files, configFile{scope: "user", path: plain, servers: "mcpServers"})

	servers, problems := readServers(ClaudeDesktop, files, func(s *Server, v, _ gjson.Result) {
		entry(s, v, env)
		if s.Remote() {
			s.Effective = false
			s.Problems = append(s.Problems, desktopRemote)
		}
	})
	if msix {
		for i := range servers {
			if s := &servers[i]; s.File == plain && s.Effective {
				s.Effective = false
				s.Problems = append(s.Problems, "the Microsoft Store build of Claude Desktop reads "+files[0].path+" instead of this file")
			}
		}
	}
	homeWorkDir(env, servers)
	return servers, problems
}

// desktopMSIXFiles returns the MSIX builds' config files that exist, sorted.
// The package folder's suffix is the publisher hash (Claude_pzs8sxrjxfjjc
// today); it is matched by prefix rather than hard-coded.
func desktopMSIXFiles(env Env) []string {
	if env.withDefaults().GOOS != "windows" {
		return nil
	}
	pkgs := filepath.Join(env.LocalAppData(), "Packages")
	entries, err := os.ReadDir(pkgs)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), "Claude_") {
			continue
		}
		p := filepath.Join(pkgs, e.Name(), "LocalCache", "Roaming", "Claude", desktopConfig)
		if _, err := os.Stat(p); err == nil {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}
