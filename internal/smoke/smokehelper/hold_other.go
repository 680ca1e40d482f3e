//go:build !windows

package main

import "errors"

// openWithoutDeleteSharing needs Windows' share modes: POSIX systems let a
// file be renamed over or unlinked while it is open.
func openWithoutDeleteSharing(string) (func(), error) {
	return nil, errors.New("hold needs Windows share modes")
}

// lockFile needs Windows: on Unix Chromium's lock is an fcntl lock, which
// the Linux tests take with real Chromium.
func lockFile(string) (func(), error) {
	return nil, errors.New("lock needs Windows' LockFileEx")
}
