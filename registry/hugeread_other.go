//go:build !linux

package registry

import (
	"errors"
	"os"
)

// readHuge is linux's way to read a large file (see hugeread_linux.go).
func readHuge(*os.File, int64) ([]byte, func(), error) { return nil, nil, errors.ErrUnsupported }
