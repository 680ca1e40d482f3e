package registry

import (
	"path/filepath"
	"strings"

	"github.com/tidwall/gjson"
)

// zedExtension is what an extension-provided context server gets in place of
// "neither command nor url is set": its command is the extension's business.
const zedExtension = "provided by a Zed extension: the file holds only its settings, the command comes from the extension"

// zedSettings is Zed's user settings file: %APPDATA%\Zed on Windows,
// $XDG_CONFIG_HOME/zed (~/.config/zed) on Linux, and ~/.config/zed on macOS
// too (Zed does not use ~/Library there).
func zedSettings(env Env) string {
	switch env.withDefaults().GOOS {
	case "windows":
		return filepath.Join(env.AppData(), "Zed", "settings.json")
	case "darwin":
		return env.Join(".config", "zed", "settings.json")
	default:
		return filepath.Join(env.AppData(), "zed", "settings.json")
	}
}

// discoverZed reads context_servers from Zed's settings.json (JSON with
// comments). Entries come in three shapes: the current flat one
// {command, args, env} or {url, headers}, the older {"command": {path, args,
// env}}, and extension servers that carry only {settings}.
func discoverZed(env Env) ([]Server, []Problem) {
	files := []configFile{{scope: "user", path: zedSettings(env), servers: "context_servers", jsonc: true}}
	servers, problems := readServers(Zed, files, func(s *Server, v, _ gjson.Result) {
		if c := v.Get("command"); c.IsObject() {
			entry(s, gjson.Parse(zedFlatten(v, c)), env)
			s.Raw.Entry = v.Raw
			return
		}
		entry(s, v, env)
		if s.Command == "" && s.Raw.URL == "" && v.IsObject() &&
			(v.Get("settings").Exists() || v.Get("source").String() == "extension") {
			s.Problems = []string{zedExtension}
		}
	})
	homeWorkDir(env, servers)
	return servers, problems
}

// zedFlatten rewrites the older {"command": {path, args, env}} entry in the
// flat shape entry() reads, keeping each value's JSON as written.
func zedFlatten(v, c gjson.Result) string {
	raw := func(r gjson.Result) string {
		if !r.Exists() {
			return "null"
		}
		return r.Raw
	}
	var b strings.Builder
	b.WriteString(`{"command":` + raw(c.Get("path")))
	b.WriteString(`,"args":` + raw(c.Get("args")))
	b.WriteString(`,"env":` + raw(c.Get("env")))
	for _, k := range []string{"url", "headers"} {
		if r := v.Get(k); r.Exists() {
			b.WriteString(`,"` + k + `":` + r.Raw)
		}
	}
	b.WriteString("}")
	return b.String()
}
