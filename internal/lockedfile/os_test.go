package lockedfile

import "runtime"

const isWindows = runtime.GOOS == "windows"
