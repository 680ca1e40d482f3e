//go:build unix

package cache

import (
	"os"
	"testing"

	"github.com/mcpmend/mcpmend/internal/localstorage/lstest"
)

// TestLockHolderHelper is the process lstest.HoldChromiumLock re-runs this
// test binary as; in a normal run it is skipped.
func TestLockHolderHelper(t *testing.T) { lstest.LockHolderHelper(t, os.Stdin, os.Stdout) }
