//go:build !unix

package integration

import "os"

// peakRSS is 0 where rusage is not available.
func peakRSS(*os.ProcessState) int64 { return 0 }
