package journal_test

import (
	"slices"
	"testing"

	"github.com/mcpmend/mcpmend/cache/journal"
	"github.com/mcpmend/mcpmend/registry"
)

// TestWorkerCommandCarriesTheIntent: the detached apply-pending worker a
// reset starts writes the same home with the same --as-owner intent (or
// without it, and then refuses as the reset would have).
func TestWorkerCommandCarriesTheIntent(t *testing.T) {
	env := registry.Env{Home: t.TempDir()}.WithHome(t.TempDir())
	wc, err := journal.DefaultWorkerCommand(env)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(wc.Args, "--as-owner") || !slices.Contains(wc.Args, "--home") {
		t.Errorf("without the flag: %v", wc.Args)
	}
	env.AsOwner = true
	if wc, _ = journal.DefaultWorkerCommand(env); !slices.Contains(wc.Args, "--as-owner") || wc.Args[len(wc.Args)-2] != "apply-pending" {
		t.Errorf("with --as-owner: %v", wc.Args)
	}
}
