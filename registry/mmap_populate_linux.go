package registry

import "syscall"

// mapPopulate maps the whole file's pages in the mmap call itself: one
// system call instead of a page fault every few pages during the scan
// (on a virtual machine each fault is a trip through the hypervisor).
const mapPopulate = syscall.MAP_POPULATE
