//go:build !(linux || darwin)

package registry

import (
	"errors"
	"os"
)

// mapFile is not used here: ~/.claude.json is read (readLarge).
func mapFile(*os.File, int64) ([]byte, func(), error) {
	return nil, nil, errors.ErrUnsupported
}
