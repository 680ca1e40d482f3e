// Command pairtime times whole processes side by side: it runs each command
// given N times, taking turns (A, B, A, B, …) so that a loaded machine
// slows them alike, and prints for each the median wall time and the median
// CPU time (user + system, from the child's rusage) in ms, one line:
// "wallA cpuA wallB cpuB …". A non-zero exit is not an error (checkup
// exits 1 when it finds errors).
//
//	pairtime -n 7 -- mcpmend list --json ::: node -e 'JSON.parse(...)'
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"time"

	"github.com/mcpmend/mcpmend/bench/internal/cmdline"
)

func main() {
	n := flag.Int("n", 7, "runs of each command")
	flag.Parse()
	cmds := cmdline.Split(flag.Args())
	wall := make([][]float64, len(cmds))
	cpu := make([][]float64, len(cmds))
	for range *n {
		for i, argv := range cmds {
			if len(argv) == 0 {
				fmt.Fprintln(os.Stderr, "usage: pairtime [-n N] -- CMD... [::: CMD...]")
				os.Exit(2)
			}
			c := exec.Command(argv[0], argv[1:]...)
			start := time.Now()
			if err := c.Run(); err != nil && c.ProcessState == nil {
				fmt.Fprintln(os.Stderr, "pairtime:", strings.Join(argv, " "), err)
				os.Exit(1)
			}
			wall[i] = append(wall[i], float64(time.Since(start).Microseconds())/1000)
			cpu[i] = append(cpu[i], float64((c.ProcessState.UserTime()+c.ProcessState.SystemTime()).Microseconds())/1000)
		}
	}
	var out []string
	for i := range cmds {
		out = append(out, fmt.Sprintf("%.1f %.1f", median(wall[i]), median(cpu[i])))
	}
	fmt.Println(strings.Join(out, " "))
}

func median(xs []float64) float64 {
	sort.Float64s(xs)
	return xs[len(xs)/2]
}
