package probe

import (
	"runtime"
	"sort"
	"strings"

	"github.com/mcpmend/mcpmend/internal/lazyre"

	"github.com/mcpmend/mcpmend/registry"
)

// varRef is Claude Code's pattern for ${VAR} and ${VAR:-default}, read from
// its 2.1.328 bundle: the name is [A-Za-z_][A-Za-z0-9_]*, the default runs to
// the first "}".
var varRef = lazyre.New(`\$\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}`)

// expandVars expands s as Claude Code does in user, local and project
// configs: a defined variable (even empty) gives its value, an undefined one
// its default when given, and otherwise the reference stays as written and
// its name is added to missing.
func expandVars(s string, env map[string]string, missing map[string]bool) string {
	return expandVarsOS(s, env, missing, runtime.GOOS)
}

// expandVarsOS is expandVars with goos's rules for variable names.
func expandVarsOS(s string, env map[string]string, missing map[string]bool, goos string) string {
	if !strings.Contains(s, "${") {
		return s
	}
	return varRef.ReplaceAllStringFunc(s, func(m string) string {
		sub := varRef.FindStringSubmatch(m)
		if v, ok := envGet(env, sub[1], goos); ok {
			return v
		}
		if sub[2] != "" {
			return sub[2][2:]
		}
		missing[sub[1]] = true
		return m
	})
}

// expands reports whether the client expands ${VAR} in its config the way
// Claude Code does. Other clients have their own syntaxes (VS Code and
// Cursor use ${env:NAME}); their strings are dialled as written.
func expands(client string) bool { return client == registry.ClaudeCode || client == "" }

// environMap turns KEY=VALUE pairs into a map; a later duplicate wins, as in
// exec.Cmd.
func environMap(environ []string) map[string]string {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && k != "" {
			m[k] = v
		}
	}
	return m
}

// environList turns a map back into a sorted KEY=VALUE list.
func environList(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
