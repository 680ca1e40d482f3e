// Package needsauth is gate A: Claude Code's needs-auth cache,
// <config home>/mcp-needs-auth-cache.json, keyed by plain server name. It
// parses the file as Claude Code reads it, judges whether an entry still
// blocks the server (15 minutes, or 4 hours for claude.ai connectors and
// header-less plugin servers, unless the entry carries its own ttlMs),
// inspects it into records and plans the removal of the server's entry.
//
// Writing it safely. Claude Code rewrites this file in place (open truncating,
// write, close) and takes no lock, so there is nothing to wait
// for. A reset or an undo is a mutation.JSONDelete without a lock, which
// writes through lockedfile.ReplaceUnlocked:
//
//   - the file is read until it parses (Claude Code may be between its
//     truncate and its write);
//   - on Linux (renameat2 RENAME_EXCHANGE) and macOS (renamex_np
//     RENAME_SWAP) the file is read once more right before the new content
//     is exchanged with it (a change is merged first), and the file swapped
//     out is read: if Claude Code wrote it in between (even through a
//     descriptor it opened before the swap), it is exchanged back at once
//     and its write merged entry by entry for the next attempt; done when a
//     swap finds exactly what was expected. After 200 attempts or 3 s the
//     reset refuses (nothing changed), or, if Claude Code's last write is
//     only in the merge, saves that beside the cache and names it. The
//     merge never drops an entry Claude Code may not have seen; one it
//     deletes while a merge is under way may come back (it lapses after its
//     TTL).
//   - where the exchange is missing (Windows, old kernels, file systems
//     that refuse it) the live file is held open from the re-read until
//     after the rename and read again through that descriptor, which still
//     catches an in-place write. Left there: on Unix, a writer that
//     replaced the file by rename between the final fstat/stat comparison
//     and the rename (Claude Code does not write this file that way); on
//     Windows, where a held file cannot be renamed over, an in-place write
//     after the re-read that comes right before the rename.
//   - left everywhere: Claude Code reads, then writes what it read plus its
//     entry. If its read came before our swap and its write after, it
//     undoes the reset (Verify reports that it did not hold); if its read
//     fell in the moment one of its own writes was swapped out, that write
//     is dropped. Measured side by side with a writer at 1,100 in-place
//     writes/s on a loaded 2-core machine (TestNeedsAuthRaceFigures,
//     MCPMEND_RACE_EVIDENCE=1): 5 of 20,011 writes lost, against 30 of
//     20,002 for the old re-read-then-rename. Claude Code writes this file
//     once per server that answers 401, far below that rate.
//
// TestNeedsAuthResetAndUndoAgainstAWriter runs 200 reset/undo rounds in
// four homes against such a writer on every test run (its losses are
// reported, not asserted: under -race on a loaded machine they rise).
package needsauth
