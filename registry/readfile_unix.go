//go:build unix

package registry

import "syscall"

// openNonBlock keeps open(2) of a FIFO from waiting for a writer; reads of
// regular files are not affected by it.
const openNonBlock = syscall.O_NONBLOCK
