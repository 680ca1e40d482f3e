//go:build !linux

package registry

import (
	"errors"
	"os"
)

// readHuge is linux's way to read a large file (see hugeread_linux.go).
func readHuge(*os.File, int64) ([]byte, func(), error) { return nil, nil, errors.ErrUnsupported }

// hugePagesOnRequest is linux's question (see hugeread_linux.go): never
// here.
var hugePagesOnRequest = func() bool { return false }
