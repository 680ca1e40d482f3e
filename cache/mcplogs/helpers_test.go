package mcplogs

import (
	"github.com/mcpmend/mcpmend/cache/internal/storetest"
)

// The helpers every store's tests share live in cache/internal/storetest.
var (
	claudeServer = storetest.ClaudeServer
	testEnv      = storetest.Env
	writeFile    = storetest.WriteFile
	fixedNow     = storetest.Now
)
