//go:build !linux

package probe

// becomeSubreaper does nothing outside Linux: macOS has no subreaper, and
// on Windows the job object holds every descendant (see reap_linux.go for
// what is done where).
func becomeSubreaper() {}

// killMarked does nothing outside Linux, where other processes'
// environments cannot be read; the process group (Unix) or job object
// (Windows) is what ends a server's descendants there.
func killMarked(string) {}
