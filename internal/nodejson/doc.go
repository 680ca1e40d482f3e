// Package nodejson reads and writes JSON the way Node programs do, for the
// files Claude Code and mcp-remote keep: JSON.parse's reading (a repeated key
// keeps its last value, odd value types tolerated field by field),
// JSON.stringify's exact bytes (its string quoting, its key order: array
// indices first, then insertion order), JavaScript's sort order and trim, and
// the epoch-millisecond stamps Node writes with Date.now().
//
// Exact bytes matter because these clients file servers under hashes of
// JSON.stringify output; Go's encoding/json escapes <, > and & and sorts
// map keys, so it would compute other hashes.
package nodejson
