package diagnose

import (
	"fmt"
	"sort"
	"strings"
)

// toolCommands maps each mcpmend tool to the CLI command that does the same,
// and the argument that is the command's positional one. Human output names
// the command, the model's the tool: the two never mix.
var toolCommands = map[string]struct{ command, positional string }{
	"checkup":           {"mcpmend checkup", ""},
	"diagnose_server":   {"mcpmend diagnose", "name"},
	"list_servers":      {"mcpmend list", ""},
	"probe_server":      {"mcpmend probe", "name"},
	"server_state":      {"mcpmend state", "name"},
	"reset_server_auth": {"mcpmend reset", "name"},
	"reset_status":      {"mcpmend status", "id"},
	"undo_reset":        {"mcpmend undo", "id"},
}

// flagNames are the CLI flags whose names differ from the tool's argument.
var flagNames = map[string]string{"skip_probe": "no-probe"}

// CommandFor is the shell command equivalent to calling tool with args:
// reset_server_auth {"name": "x", "dry_run": true} is `mcpmend reset x
// --dry-run`. Unknown tools give "".
func CommandFor(tool string, args map[string]any) string {
	tc, ok := toolCommands[tool]
	if !ok {
		return ""
	}
	var b strings.Builder
	b.WriteString(tc.command)
	if v, ok := args[tc.positional]; ok && tc.positional != "" {
		b.WriteString(" " + shellWord(fmt.Sprint(v)))
	}
	keys := make([]string, 0, len(args))
	for k := range args {
		if k != tc.positional {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		flag := flagNames[k]
		if flag == "" {
			flag = strings.ReplaceAll(k, "_", "-")
		}
		switch v := args[k].(type) {
		case bool:
			if v {
				b.WriteString(" --" + flag)
			}
		case int, int64, float64:
			if k == "timeout" { // seconds in the tools, a duration on the command line
				fmt.Fprintf(&b, " --timeout %vs", v)
			} else {
				fmt.Fprintf(&b, " --%s %v", flag, v)
			}
		default:
			fmt.Fprintf(&b, " --%s %s", flag, shellWord(fmt.Sprint(v)))
		}
	}
	return b.String()
}

// withCommand fills an action's Command from its tool call, so every action
// a tool can do also says how to do it from a shell.
func withCommand(a *Action) {
	if a != nil && a.Tool != "" && a.Command == "" {
		a.Command = CommandFor(a.Tool, a.Arguments)
	}
}
