package diagnose

import "testing"

func TestCommandFor(t *testing.T) {
	for _, tt := range []struct {
		tool string
		args map[string]any
		want string
	}{
		{"reset_server_auth", map[string]any{"name": "github"}, "mcpmend reset github"},
		{"reset_server_auth", map[string]any{"name": "my server", "client": "claude-code", "scope": "local", "dry_run": true, "forget_tokens": true},
			"mcpmend reset 'my server' --client claude-code --dry-run --forget-tokens --scope local"},
		{"diagnose_server", map[string]any{"name": "x", "timeout": 60}, "mcpmend diagnose x --timeout 60s"},
		{"diagnose_server", map[string]any{"name": "x", "skip_probe": true}, "mcpmend diagnose x --no-probe"},
		{"server_state", map[string]any{"name": "it's"}, `mcpmend state 'it'\''s'`},
		{"undo_reset", map[string]any{"id": "20261126T101500Z-1a2b3c4d"}, "mcpmend undo 20261126T101500Z-1a2b3c4d"},
		{"checkup", map[string]any{"client": "cursor", "skip_probe": false}, "mcpmend checkup --client cursor"},
		{"list_servers", nil, "mcpmend list"},
		{"no_such_tool", nil, ""},
	} {
		if got := CommandFor(tt.tool, tt.args); got != tt.want {
			t.Errorf("CommandFor(%s, %v) = %q, want %q", tt.tool, tt.args, got, tt.want)
		}
	}
}
