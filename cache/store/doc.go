// Package store is the contract every client store meets, in the way
// database/sql/driver serves database/sql: a Store inspects a server into
// Records (read-only, safe to print) and plans a reset into journal
// Mutations; a store it cannot read faithfully is a *DamagedError, never
// reported as empty and never written.
//
// It also holds the names the stores share: each store's name as records
// carry it, the three gate kinds that make Claude Code skip a server (gate A
// needs-auth, B tokenless-rejection, C registration-not-offered), and which
// servers those gates apply to (GatedTransport).
package store
