package integration

import (
	"os"
	"testing"

	"github.com/mcpmend/mcpmend/internal/chromiumtest"
)

// chromiumPath is Debian's chromium (installed by .ci/run).
const chromiumPath = chromiumtest.DefaultPath

// needChromium skips the test, naming chromium, when it is not installed.
func needChromium(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("chromium is not installed at %s (apt-get install chromium, as .ci/run does)", chromiumPath)
	}
}

// startChromium starts headless Chromium on the user data dir; it is killed
// (and waited for) when the test ends, unless closed before.
func startChromium(t testing.TB, userData string) *chromiumtest.Browser {
	t.Helper()
	b, err := chromiumtest.Launch(t.Context(), userData, chromiumtest.Options{Path: chromiumPath})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Kill)
	return b
}

// closeChromium quits Chromium with Browser.close (which flushes Local
// Storage) and fails the test when it does not exit.
func closeChromium(t testing.TB, b *chromiumtest.Browser) {
	t.Helper()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
}
