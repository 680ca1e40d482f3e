package lockedfile

import "runtime"

const isWindows = runtime.GOOS == "windows"

// hasModes is false where files have no Unix permission bits (Windows
// reports 0666 or 0444 whatever was asked for); mode checks only run where
// the OS keeps modes.
const hasModes = !isWindows
