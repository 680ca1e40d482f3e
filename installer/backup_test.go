package installer

import (
	"context"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpmend/mcpmend/cache/journal"
	"github.com/mcpmend/mcpmend/registry"
)

// Another server's configuration, with a secret, in a file install edits.
const withSecret = "{\n  \"mcpServers\": {\n    \"b\": {\"command\": \"b\", \"env\": {\"TOKEN\": \"CANARY-b\"}}\n  },\n  \"other\": \"CANARY-setting\"\n}\n"

// journalOf returns every file of the journal entry id, by path.
func journalOf(t *testing.T, id string, env registry.Env) map[string]string {
	t.Helper()
	e, err := journal.Open(env, nil).Get(id)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	filepath.Walk(e.Dir(), func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			b, _ := os.ReadFile(p)
			out[p] = string(b)
		}
		return nil
	})
	return out
}

// TestInstallAndUninstallBackupsHoldNoOtherServer: neither an install's
// nor an uninstall's backup holds the rest of the file (another server's
// secret env value), and each undo still gives back the exact bytes.
func TestInstallAndUninstallBackupsHoldNoOtherServer(t *testing.T) {
	env := testEnv(t)
	p := cursorFile(t, env, withSecret)
	ctx := context.Background()
	for _, uninstall := range []bool{false, true} {
		before, _ := os.ReadFile(p)
		res, err := Run(ctx, env, nil, Options{Uninstall: uninstall, Clients: []string{"cursor"}, Command: "/bin/mcpmend"})
		if err != nil || res.JournalID == "" {
			t.Fatalf("uninstall=%v: %+v %v", uninstall, res, err)
		}
		for f, data := range journalOf(t, res.JournalID, env) {
			if strings.Contains(data, "CANARY") {
				t.Errorf("uninstall=%v: %s holds another server's secret:\n%s", uninstall, f, data)
			}
		}
		if _, err := journal.Open(env, nil).Undo(ctx, res.JournalID); err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(p); string(got) != string(before) {
			t.Fatalf("uninstall=%v: undo is not byte for byte:\n%s\nwant\n%s", uninstall, got, before)
		}
		if !uninstall { // install again, for the uninstall round
			if _, err := Run(ctx, env, nil, Options{Clients: []string{"cursor"}, Command: "/bin/mcpmend"}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestUndoOfALegacyInstallBackup: an install journalled when backups held
// the whole file (original + applied.sha256) still undoes byte for byte.
func TestUndoOfALegacyInstallBackup(t *testing.T) {
	env := testEnv(t)
	p := cursorFile(t, env, withSecret)
	ctx := context.Background()
	res, err := Run(ctx, env, nil, Options{Clients: []string{"cursor"}, Command: "/bin/mcpmend"})
	if err != nil {
		t.Fatal(err)
	}
	e, _ := journal.Open(env, nil).Get(res.JournalID)
	dir := filepath.Join(e.Dir(), e.Steps[0].Backup)
	now, _ := os.ReadFile(p)
	for _, f := range []string{bkPrior, bkAppliedJSON} {
		if err := os.Remove(filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(dir, bkOriginal), []byte(withSecret), 0o600)
	os.WriteFile(filepath.Join(dir, bkApplied), []byte(hex.EncodeToString(sum(now))), 0o600)
	if _, err := journal.Open(env, nil).Undo(ctx, res.JournalID); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(p); string(got) != withSecret {
		t.Fatalf("legacy undo:\n%s", got)
	}
}

// TestSafeRun: a replaced run is kept only when it holds nothing but the
// entry's words and punctuation.
func TestSafeRun(t *testing.T) {
	prior := []byte(`{"command":"/bin/mcpmend","args":["serve"]}`)
	for _, tc := range []struct {
		run, container string
		safe           bool
	}{
		{"", "mcpServers", true},
		{",\n    ", "mcpServers", true},
		{",\n    \"mcpmend\": {\"command\": \"/bin/mcpmend\", \"args\": [\"serve\"]}", "mcpServers", true},
		{"[mcp_servers.mcpmend]\ncommand = \"/bin/mcpmend\"\nargs = [\"serve\"]\n", "mcp_servers", true},
		{"\"b\": {\"env\": {\"TOKEN\": \"CANARY-b\"}}", "mcpServers", false},
		{"[mcp_servers.b.env]\nTOKEN = \"CANARY-b\"\n", "mcp_servers", false},
		{"[mcp_servers.mcpmend] # mine\ncommand = \"/bin/mcpmend\"\n", "mcp_servers", true},
		{"# mine\n[mcp_servers.b]\nTOKEN = \"#CANARY-b\"\n", "mcp_servers", false},
	} {
		if got := safeRun(tc.run, "mcpmend", tc.container, prior); got != tc.safe {
			t.Errorf("safeRun(%q) = %v, want %v", tc.run, got, tc.safe)
		}
	}
}
