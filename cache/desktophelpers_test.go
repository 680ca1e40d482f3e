package cache

import "path/filepath"

// The desktop store's test helpers that the reset-through-the-journal tests
// here need too live in internal/localstorage/lstest; the fixture is the
// database real headless Chromium wrote (internal/localstorage/testdata).
var fixtureDir = filepath.Join("..", "internal", "localstorage", "testdata", "chromium-localstorage", "leveldb")
