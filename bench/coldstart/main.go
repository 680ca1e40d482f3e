// Command coldstart measures an MCP server's cold start over stdio: from
// spawning the process to reading its initialize result, the wait every
// client session pays, and the process's peak RSS once it has answered.
//
//	go run ./bench/coldstart -n 20 -- mcpmend serve
//
// It prints "median_ms min_ms max_rss_mb".
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

const initialize = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"coldstart","version":"1"}}}` + "\n"

func main() {
	n := flag.Int("n", 20, "runs")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: coldstart [-n N] -- COMMAND [ARGS]")
		os.Exit(2)
	}
	var times []time.Duration
	var rss int64
	for range *n {
		d, r, err := once(flag.Args())
		if err != nil {
			fmt.Fprintln(os.Stderr, "coldstart:", err)
			os.Exit(1)
		}
		times = append(times, d)
		rss = max(rss, r)
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	fmt.Printf("%.2f %.2f %.1f\n", ms(times[len(times)/2]), ms(times[0]), float64(rss)/1024)
}

// once spawns the server, sends initialize, waits for the result and
// returns the time taken and the peak RSS in KiB.
func once(argv []string) (time.Duration, int64, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stderr = io.Discard
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return 0, 0, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return 0, 0, err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	if _, err := io.WriteString(stdin, initialize); err != nil {
		return 0, 0, err
	}
	r := bufio.NewReaderSize(stdout, 1<<16)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			return 0, 0, fmt.Errorf("%s: no initialize result: %v", argv[0], err)
		}
		if strings.Contains(line, `"id":1`) && strings.Contains(line, `"result"`) {
			break
		}
	}
	elapsed := time.Since(start)
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
	return elapsed, peakRSS(cmd.ProcessState), nil
}
