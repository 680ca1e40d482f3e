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
// server and summarise what the clients remember of each: their
// allocation grows with the configuration. serve is not among them: it
// lives for a whole session and must stay small.
var readsEveryServer = map[string]bool{"checkup": true, "diagnose": true, "list": true, "probe": true, "state": true, "reset": true}

// prepareHeap readies the heap for cmd when the configuration is large,
// remembering what undoes it (see execute).
func (a *app) prepareHeap(cmd string) {
	if !readsEveryServer[cmd] {
		return
	}
	if st, err := os.Stat(a.deps.Env.ClaudeJSON()); err != nil || st.Size() < largeConfig {
		return
	}
	a.restoreHeap, _ = hugeheap.Prepare(heapReserve)
}
