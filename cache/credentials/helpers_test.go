package credentials

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// fakeSecurity builds the stand-in security(1) from internal/keychain/testdata/fakesecurity
// into the test's temp dir and gives it a fresh keychain store.
func fakeSecurity(t testing.TB) (path, storeFile string) {
	t.Helper()
	dir := t.TempDir()
	path = filepath.Join(dir, "security")
	if out, err := exec.Command("go", "build", "-o", path, "../../internal/keychain/testdata/fakesecurity").CombinedOutput(); err != nil {
		t.Fatalf("building the stand-in security: %v\n%s", err, out)
	}
	storeFile = filepath.Join(dir, "keychain.json")
	t.Setenv("FAKE_SECURITY_STORE", storeFile)
	return path, storeFile
}
