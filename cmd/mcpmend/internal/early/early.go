// Package early starts serve's pre-answer (tools/preanswer) with the
// process's stdin and stdout while the rest of the binary initializes.
//
// Its only work is its init, and it imports only os and tools/preanswer,
// so Go initializes it right after them — among the first packages, long
// before go-sdk's — whatever main imports (TestEarlyImports). main imports
// it for that init alone.
package early

import (
	"os"

	"github.com/mcpmend/mcpmend/tools/preanswer"
)

func init() { preanswer.Start(os.Args[1:], os.Stdin, os.Stdout) }
