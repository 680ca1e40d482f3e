//go:build !unix

package registry

// openNonBlock is 0 where there is no O_NONBLOCK; the Stat before the open
// already refuses anything but a regular file.
const openNonBlock = 0
