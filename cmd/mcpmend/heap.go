package main

import (
	"os"

	"github.com/mcpmend/mcpmend/internal/hugeheap"
)

// largeConfig is the size of ~/.claude.json from which a command that
// reads every server readies the heap first (internal/hugeheap): 256 KB
// is some 2,000 servers, or a long prompt history. Side by side, readying
// took list of 3,000 servers (a 400 KB file) from 54 to 35 ms and checkup
// from 156 to 89 ms, and cost list of 750 (100 KB) about 1.5 ms of its
// 26: below some hundred kilobytes the readying costs more than the
// faults it saves.
const largeConfig = 256 << 10

// heapReserve is how much heap is readied: of 15,000 servers `list`
// allocates about 30 MB, `checkup --no-probe` 230 MB (side by side with a
// 64 MB reserve, checkup took 10% more wall time and 40% more CPU; its
// peak RSS is 184 MB against 139 MB unreadied). What is not used is never
// touched.
const heapReserve = 256 << 20

// readsEveryServer names the commands that discover every configured
// server and summarise what the clients remember of each — their
// allocation grows with the configuration — with the GOGC each runs
// under once the heap is readied. list keeps little of what it allocates
// (15,000 servers: a 16 MB heap goal at 400 meant one collection in the
// middle of the scan, and at 1000 none; side by side 100 -> 90 ms on the
// 97 MB file, peak RSS 50 MB either way); checkup keeps every report, ran
// no faster at 1000 and peaked at 227 MB rather than 161. serve is not
// among them: it lives for a whole session and must stay small.
var readsEveryServer = map[string]int{"checkup": 400, "diagnose": 400, "list": 1000, "probe": 400, "state": 400, "reset": 400}

// prepareHeap readies the heap for cmd when the configuration is large,
// remembering what undoes it (see execute).
func (a *app) prepareHeap(cmd string) {
	gcPercent, ok := readsEveryServer[cmd]
	if !ok {
		return
	}
	if st, err := os.Stat(a.deps.Env.ClaudeJSON()); err != nil || st.Size() < largeConfig {
		return
	}
	a.restoreHeap, _ = hugeheap.Prepare(heapReserve, gcPercent)
}
