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
// server/discover result). With -claude it makes Claude Code 2.1.328's
// whole connect (server/discover, subscriptions/listen, server/discover,
// tools/list), with -think the client's delay before each next request.
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

	"github.com/mcpmend/mcpmend/bench/internal/cmdline"
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

var (
	stateless = flag.Bool("discover", false, "speak the 2026-07-28 protocol: server/discover, then tools/list")
	claude    = flag.Bool("claude", false, "speak as Claude Code 2.1.328: server/discover, subscriptions/listen, server/discover, tools/list")
	think     = flag.Duration("think", 0, "the client's delay before each request after the first (Claude Code takes ~15 ms)")
)

// step is one request and what ends the wait for its answer.
type step struct{ send, await string }

// claudeSteps is Claude Code 2.1.328's connect: a server/discover probe,
// subscriptions/listen (answered by an acknowledgment), server/discover
// again, then tools/list; each waits for the answer before it.
var claudeSteps = []step{
	{discover, `"id":1`},
	{`{"jsonrpc":"2.0","id":"listen:0","method":"subscriptions/listen","params":{"_meta":` + meta[len(`{"_meta":`):len(meta)-1] + `,"notifications":{"toolsListChanged":true,"promptsListChanged":true}}}` + "\n",
		"notifications/subscriptions/acknowledged"},
	{`{"jsonrpc":"2.0","id":3,"method":"server/discover","params":` + meta + "}\n", `"id":3`},
	{listStateless, `"id":2`},
}

func main() {
	n := flag.Int("n", 20, "runs of each command")
	flag.Parse()
	cmds := cmdline.Split(flag.Args())
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
	steps := []step{{initialize, `"id":1`}, {listTools, `"id":2`}}
	switch {
	case *claude:
		steps = claudeSteps
	case *stateless:
		steps = []step{{discover, `"id":1`}, {listStateless, `"id":2`}}
	}
	r := bufio.NewReaderSize(stdout, 1<<16)
	var elapsed time.Duration
	for i, st := range steps {
		if i > 0 {
			time.Sleep(*think)
		}
		if _, err := io.WriteString(stdin, st.send); err != nil {
			return 0, 0, 0, 0, err
		}
		if err := awaitLine(r, st.await); err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			return 0, 0, 0, 0, fmt.Errorf("%s: no answer for %.60s: %v", argv[0], st.send, err)
		}
		if i == 0 {
			elapsed = time.Since(start)
		}
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

// awaitLine reads lines until the result for id (`"id":…`), or until a
// line holding await when it is not an id.
func awaitLine(r *bufio.Reader, await string) error {
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		if strings.Contains(line, await) && (!strings.HasPrefix(await, `"id":`) || strings.Contains(line, `"result"`)) {
			return nil
		}
	}
}
