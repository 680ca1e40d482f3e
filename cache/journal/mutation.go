package journal

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
)

// Change is one record a reset removes (or, on undo, puts back). It is safe to
// print: it names the record, never its value.
type Change struct {
	Store  string `json:"store"`
	File   string `json:"file,omitempty"` // empty only in a model's brief view
	Key    string `json:"key"`            // the record inside the store, e.g. mcpOAuth["github|78d8e2894fc42213"]
	Kind   string `json:"kind,omitempty"` // e.g. "needs-auth", "tokens"
	Action string `json:"action"`         // "delete"
	Detail string `json:"detail,omitempty"`
}

// Mutation is one store's part of a reset: the plug-in every store's reset
// implements, and what the journal runs, resumes after a crash, schedules
// while the store is locked, and undoes.
//
// The journal calls, in order: Blocked; Backup into a fresh directory
// (persisted as "backing up" first); Apply with the same directory
// (persisted as "applying" first); Verify. After a crash it calls Verify to
// learn whether an interrupted Apply landed, and Restore when Verify cannot
// tell. Every method must be safe to call again after a crash at any point.
type Mutation interface {
	// Store names the store, as in Record.Store.
	Store() string
	// Kind names the decoder registered with Register that rebuilds
	// this mutation from Spec in a later process.
	Kind() string
	// Spec is everything needed to rebuild the mutation: paths, keys, hashes
	// of the planned values — never a secret value (backups hold those).
	Spec() (json.RawMessage, error)
	// Describe lists the records the mutation changes.
	Describe() []Change
	// Blocked says why the store cannot be written now ("" when it can) and
	// whether waiting may help (Claude Desktop running holds its LevelDB
	// lock: retryable; a damaged store: not).
	Blocked(ctx context.Context) (reason string, retryable bool)
	// Backup copies everything Apply may change into dir (0700, fresh).
	Backup(ctx context.Context, dir string) error
	// Apply makes the change under the store owner's lock, re-reading the
	// store and refusing if a planned record changed since planning. On
	// error the store must be as it was (a store that writes in several
	// steps restores from dir itself). It may add to dir the exact bytes it
	// replaced. A *BlockedError means "locked now, try later".
	Apply(ctx context.Context, dir string) error
	// Verify reports whether the change is in place (no planned record is
	// left), or an error when the store cannot be read faithfully.
	Verify(ctx context.Context, dir string) (applied bool, err error)
	// Restore puts back every record Apply removed, byte for byte, from dir.
	// It is idempotent (a record already back is skipped) and refuses with a
	// *ConflictError, changing nothing, when a record was re-created since.
	Restore(ctx context.Context, dir string) error
}

// RestoreNoter is implemented by a Mutation whose Restore can put records
// back in more than one way (Claude Desktop's Local Storage: the removed
// rows only, or the whole database when the damage is provably mcpmend's
// own). RestoreNote says, in one line, which way the last Restore took; the
// journal keeps it as the undone step's reason, so the undo's answer says
// what was done.
type RestoreNoter interface {
	RestoreNote() string
}

// restoreNote is m's RestoreNote, or "" when it has none.
func restoreNote(m Mutation) string {
	if n, ok := m.(RestoreNoter); ok {
		return n.RestoreNote()
	}
	return ""
}

// BlockedError is returned by Apply when the store became locked between
// Blocked and Apply; the journal then waits instead of failing.
type BlockedError struct{ Reason string }

func (e *BlockedError) Error() string { return e.Reason }

// ConflictError is returned by Restore when a record it would put back exists
// again with other content (the client wrote it after the reset): restoring
// would destroy newer state, so nothing is changed.
type ConflictError struct {
	File string
	Key  string
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("cannot undo: %s in %s was written again since the reset (e.g. by a new sign-in); "+
		"nothing was changed — the backup stays in the journal", e.Key, e.File)
}

// Decoder rebuilds a Mutation from its Spec.
type Decoder func(spec json.RawMessage) (Mutation, error)

var (
	decodersMu sync.RWMutex
	decoders   = map[string]Decoder{}
)

// Register makes a mutation kind known to the journal, so a later
// process (ResumePending, apply-pending) can resume or undo it. The packages
// that define kinds (cache/mutation, cache/desktop) call it from init.
func Register(kind string, decode Decoder) {
	decodersMu.Lock()
	defer decodersMu.Unlock()
	if _, dup := decoders[kind]; dup {
		panic("cache: mutation kind registered twice: " + kind)
	}
	decoders[kind] = decode
}

// RegisterSpec registers kind with a decoder that unmarshals a Spec into a
// fresh T: enough for mutations whose Spec is their own JSON encoding.
func RegisterSpec[T any, P interface {
	*T
	Mutation
}](kind string) {
	Register(kind, func(spec json.RawMessage) (Mutation, error) {
		var m T
		if err := json.Unmarshal(spec, &m); err != nil {
			return nil, err
		}
		return P(&m), nil
	})
}

func decodeMutation(kind string, spec json.RawMessage) (Mutation, error) {
	decodersMu.RLock()
	d, ok := decoders[kind]
	decodersMu.RUnlock()
	if !ok {
		known := make([]string, 0, len(decoders))
		for k := range decoders {
			known = append(known, k)
		}
		sort.Strings(known)
		return nil, fmt.Errorf("unknown mutation kind %q (this mcpmend knows %v; was the journal written by a newer version?)", kind, known)
	}
	m, err := d(spec)
	if err != nil {
		return nil, fmt.Errorf("decode %s mutation: %w", kind, err)
	}
	return m, nil
}
