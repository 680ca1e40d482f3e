// Package journal is mcpmend's write-ahead record of resets under the state
// directory: <state>/journal/<id>/entry.json plus one backup directory per
// step. Begin records a plan, Apply runs it step by step (backup first,
// persisted before each action, so a crash at any point leaves the store as
// it was or as planned and the next replay finishes or rolls back), Undo puts
// the removed records back from the backups, and the detached apply-pending
// worker (RunPending) applies steps that wait for a locked store.
//
// A step is a Mutation, the plug-in contract every store's reset meets.
// Kinds register a decoder with Register (database/sql.Register style) so a
// later process can rebuild a step from the Spec its entry holds.
package journal
