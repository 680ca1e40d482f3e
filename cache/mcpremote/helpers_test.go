package mcpremote

import (
	"github.com/mcpmend/mcpmend/cache/internal/storetest"
)

// The helpers every store's tests share live in cache/internal/storetest.
var (
	testEnv   = storetest.Env
	writeFile = storetest.WriteFile
	fixedNow  = storetest.Now
)
