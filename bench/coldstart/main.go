// Command coldstart measures an MCP server's cold start over stdio, the
// wait every client session pays: from spawning the process to reading its
// initialize result, and to reading its tools/list result — the connect a
// client such as Claude Code makes (initialize, then
// notifications/initialized and tools/list once the result is in), which
// is when the server's tools are usable. It also reports the process's
// peak RSS.
//
//	go run ./bench/coldstart -n 20 -- mcpmend serve
//
// With -discover the client speaks the 2026-07-28 protocol as Claude Code
// 2.1.328 does: server/discover, then tools/list, each carrying the
// protocol's _meta, with no initialize (the first figure is then to the
// server/discover result).
//
// Several commands separated by ::: take turns; it prints
// "median_ms min_ms max_rss_mb median_cpu_ms median_list_ms" for each, on
// one line: the first two to the initialize result, the last to the
// tools/list result. The CPU time (user + system, the whole process until
// it exits on the end of stdin) is less disturbed than the wall time by
// other load on the machine.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
	"time"
)

const (
	initialize = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"coldstart","version":"1"}}}` + "\n"
	// listTools is what a client sends once it has the initialize result.
	listTools = `{"jsonrpc":"2.0","method":"notifications/initialized"}` + "\n" + `{"jsonrpc":"2.0","id":2,"method":"tools/list"}` + "\n"

	// The 2026-07-28 protocol's requests, as Claude Code 2.1.328 sends them.
	meta          = `{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{"name":"coldstart","version":"1"},"io.modelcontextprotocol/clientCapabilities":{}}}`
	discover      = `{"jsonrpc":"2.0","id":1,"method":"server/discover","params":` + meta + "}\n"
	listStateless = `{"jsonrpc":"2.0","id":2,"method":"tools/list","params":` + meta + "}\n"
)

var stateless = flag.Bool("discover", false, "speak the 2026-07-28 protocol: server/discover, then tools/list")

func main() {
	n := flag.Int("n", 20, "runs of each command")
	flag.Parse()
	var cmds [][]string
	cur := []string{}
	for _, a := range flag.Args() {
		if a == ":::" {
			cmds, cur = append(cmds, cur), []string{}
			continue
		}
		cur = append(cur, a)
	}
	cmds = append(cmds, cur)
	times := make([][]time.Duration, len(cmds))
	lists := make([][]time.Duration, len(cmds))
	cpus := make([][]time.Duration, len(cmds))
	rss := make([]int64, len(cmds))
	for range *n {
		for i, argv := range cmds { // taking turns: a loaded machine slows them alike
			if len(argv) == 0 {
				fmt.Fprintln(os.Stderr, "usage: coldstart [-n N] -- COMMAND [ARGS] [::: COMMAND [ARGS]]")
				os.Exit(2)
			}
			d, l, cpu, r, err := once(argv)
			if err != nil {
				fmt.Fprintln(os.Stderr, "coldstart:", err)
				os.Exit(1)
			}
			times[i] = append(times[i], d)
			lists[i] = append(lists[i], l)
			cpus[i] = append(cpus[i], cpu)
			rss[i] = max(rss[i], r)
		}
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	sorted := func(ds []time.Duration) []time.Duration {
		sort.Slice(ds, func(a, b int) bool { return ds[a] < ds[b] })
		return ds
	}
	var out []string
	for i := range times {
		ts, cs, ls := sorted(times[i]), sorted(cpus[i]), sorted(lists[i])
		out = append(out, fmt.Sprintf("%.2f %.2f %.1f %.2f %.2f", ms(ts[len(ts)/2]), ms(ts[0]), float64(rss[i])/1024, ms(cs[len(cs)/2]), ms(ls[len(ls)/2])))
	}
	fmt.Println(strings.Join(out, " "))
}

// once spawns the server, sends initialize, waits for the result, sends
// notifications/initialized and tools/list, waits for that result and
// returns the times taken to both results, the process's CPU time and its
// peak RSS in KiB.
func once(argv []string) (time.Duration, time.Duration, time.Duration, int64, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stderr = io.Discard
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return 0, 0, 0, 0, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return 0, 0, 0, 0, err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, 0, 0, err
	}
	first, second := initialize, listTools
	if *stateless {
		first, second = discover, listStateless
	}
	if _, err := io.WriteString(stdin, first); err != nil {
		return 0, 0, 0, 0, err
	}
	r := bufio.NewReaderSize(stdout, 1<<16)
	if err := awaitResult(r, `"id":1`); err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return 0, 0, 0, 0, fmt.Errorf("%s: no result for %.40s: %v", argv[0], first, err)
	}
	elapsed := time.Since(start)
	if _, err := io.WriteString(stdin, second); err != nil {
		return 0, 0, 0, 0, err
	}
	if err := awaitResult(r, `"id":2`); err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return 0, 0, 0, 0, fmt.Errorf("%s: no tools/list result: %v", argv[0], err)
	}
	listed := time.Since(start)
	stdin.Close()
	done := make(chan struct{})
	go func() {
		select {
		case <-done:
		case <-time.After(2 * time.Second):
			cmd.Process.Kill()
		}
	}()
	io.Copy(io.Discard, r)
	cmd.Wait()
	close(done)
	ps := cmd.ProcessState
	return elapsed, listed, ps.UserTime() + ps.SystemTime(), peakRSS(ps), nil
}

// awaitResult reads lines until the result for id.
func awaitResult(r *bufio.Reader, id string) error {
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		if strings.Contains(line, id) && strings.Contains(line, `"result"`) {
			return nil
		}
	}
}
