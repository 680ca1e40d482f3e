package cache

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/mcpmend/mcpmend/cache/mutation"
	"github.com/mcpmend/mcpmend/internal/keychain"
)

// fakeSecurity builds the stand-in security(1) from internal/keychain/testdata/fakesecurity
// into the test's temp dir and gives it a fresh keychain store.
func fakeSecurity(t testing.TB) (path, storeFile string) {
	t.Helper()
	dir := t.TempDir()
	path = filepath.Join(dir, "security")
	if out, err := exec.Command("go", "build", "-o", path, "../internal/keychain/testdata/fakesecurity").CombinedOutput(); err != nil {
		t.Fatalf("building the stand-in security: %v\n%s", err, out)
	}
	storeFile = filepath.Join(dir, "keychain.json")
	t.Setenv("FAKE_SECURITY_STORE", storeFile)
	// A step rebuilt from the journal never runs a program the entry names:
	// it runs mutation.ReplayKeychain, pointed here at the stand-in.
	old := mutation.ReplayKeychain
	mutation.ReplayKeychain = func() *keychain.Client { return &keychain.Client{Security: path} }
	t.Cleanup(func() { mutation.ReplayKeychain = old })
	return path, storeFile
}
