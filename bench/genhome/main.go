// Command genhome writes a benchmark home (internal/benchhome): a
// ~/.claude.json with the same three servers in every project, optional
// prompt history, and the gate entries Claude Code leaves behind.
//
//	go run ./bench/genhome -projects 5000 -history 90 DIR
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/mcpmend/mcpmend/internal/benchhome"
)

func main() {
	projects := flag.Int("projects", 5000, "projects, each defining the same three servers")
	history := flag.Int("history", 0, "prompt history entries per project (~220 bytes each)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: genhome [-projects N] [-history N] DIR")
		os.Exit(2)
	}
	cwd, err := benchhome.Write(flag.Arg(0), benchhome.Shape{Projects: *projects, History: *history})
	if err != nil {
		fmt.Fprintln(os.Stderr, "genhome:", err)
		os.Exit(1)
	}
	fmt.Println(cwd)
}
