//go:build windows

package main

import "golang.org/x/sys/windows"

// openWithoutDeleteSharing opens path for reading with read and write shared
// but not delete: Windows then refuses to rename over it or delete it.
func openWithoutDeleteSharing(path string) (release func(), err error) {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return nil, err
	}
	h, err := windows.CreateFile(p, windows.GENERIC_READ, windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE, nil,
		windows.OPEN_EXISTING, windows.FILE_ATTRIBUTE_NORMAL, 0)
	if err != nil {
		return nil, err
	}
	return func() { windows.CloseHandle(h) }, nil
}
