// Package needsauth is gate A: Claude Code's needs-auth cache,
// <config home>/mcp-needs-auth-cache.json, keyed by plain server name. It
// parses the file as Claude Code reads it, judges whether an entry still
// blocks the server (15 minutes, or 4 hours for claude.ai connectors and
// header-less plugin servers, unless the entry carries its own ttlMs),
// inspects it into records and plans the removal of the server's entry.
//
// Writing it safely. Claude Code rewrites this file in place (open with
// O_TRUNC, write, close) and takes no lock, so there is nothing to wait
// for. A reset or an undo is a mutation.JSONDelete without a lock, which
// writes through lockedfile.ReplaceUnlocked:
//
//   - the file is read until it parses (Claude Code may be between its
//     truncate and its write);
//   - on Linux (renameat2 RENAME_EXCHANGE) and macOS (renamex_np
//     RENAME_SWAP) the new content is exchanged with the live file, and the
//     file swapped out is read: if Claude Code wrote it in between (even
//     through a descriptor it opened before the swap), its write is merged
//     entry by entry and exchanged in again, until a swap finds exactly
//     what was expected (at most 64 rounds; past that Claude Code's last
//     version is saved beside the cache and named in the error). No entry
//     Claude Code writes is dropped; an entry it deletes while a merge is
//     under way may come back (it lapses after its TTL).
//   - where the exchange is missing (Windows, old kernels, file systems
//     that refuse it) the live file is held open from the re-read until
//     after the rename and read again through that descriptor, which still
//     catches an in-place write. What remains: on Unix, a writer that
//     replaced the file by rename between the final fstat/stat comparison
//     and the rename (Claude Code does not write this file that way); on
//     Windows, where a held file cannot be renamed over, an in-place write
//     after the re-read that comes right before the rename.
//
// TestNeedsAuthResetAndUndoLoseNoClaudeCodeWrite runs 1,000 reset/undo
// rounds against a writer at 1,100 writes/s (0 lost);
// TestNeedsAuthPlainRenameLosesWrites (MCPMEND_RACE_EVIDENCE=1) shows the
// old re-read-then-rename losing about one write in 1,000.
package needsauth
