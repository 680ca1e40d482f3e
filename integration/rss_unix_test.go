//go:build unix

package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

var (
	rsswrapOnce sync.Once
	rsswrapPath string
	rsswrapErr  error
)

// measureRSS makes cmd run under testdata/rsswrap, which records the
// command's own peak RSS (see its doc: measured from the test process the
// figure would include the test's own peak), and returns a func that reads
// the figure, in bytes, once cmd has finished.
func measureRSS(t *testing.T, cmd *exec.Cmd) func() int64 {
	t.Helper()
	rsswrapOnce.Do(func() {
		rsswrapPath = filepath.Join(filepath.Dir(binary), "rsswrap")
		b := exec.Command("go", "build", "-o", rsswrapPath, "./testdata/rsswrap")
		if out, err := b.CombinedOutput(); err != nil {
			rsswrapErr = err
			t.Logf("building rsswrap: %s", out)
		}
	})
	if rsswrapErr != nil {
		t.Fatalf("building rsswrap: %v", rsswrapErr)
	}
	out := filepath.Join(t.TempDir(), "rss")
	cmd.Args = append([]string{rsswrapPath, cmd.Path}, cmd.Args[1:]...)
	cmd.Path = rsswrapPath
	cmd.Env = append(cmd.Env, "RSSWRAP_OUT="+out)
	return func() int64 {
		b, err := os.ReadFile(out)
		if err != nil {
			t.Errorf("reading the peak RSS: %v", err)
			return 0
		}
		n, _ := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		return n
	}
}
