package mutation

import (
	"bytes"
	"context"
	"encoding/json"
	"time"

	"github.com/tidwall/gjson"

	"github.com/mcpmend/mcpmend/cache/journal"
	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/internal/jsonedit"
	"github.com/mcpmend/mcpmend/internal/keychain"
	"github.com/mcpmend/mcpmend/internal/lockedfile"
)

// KindKeychainDelete is the journal kind of KeychainDelete.
const KindKeychainDelete = "keychain-delete"

func init() { journal.RegisterSpec[KeychainDelete](KindKeychainDelete) }

// KeychainDelete removes keys from the JSON blob Claude Code keeps in a macOS
// Keychain item (the same document as .credentials.json), through
// security(1) as Claude Code does, under the same .storage-write.lock.
// It works like JSONDelete: values are checked against their planned hashes
// before anything is written, the blob is re-written compact, and undo puts
// back the whole blob when nothing else changed it, else each record.
//
// The security(1) program is never named by the journal: a step rebuilt from
// an entry runs ReplayKeychain (the platform's /usr/bin/security), whatever
// an older entry's "security" field says.
type KeychainDelete struct {
	Timeout time.Duration `json:"timeout,omitempty"`
	Item    keychain.Item `json:"item"`
	Lock    *LockSpec     `json:"lock,omitempty"`
	Targets []JSONTarget  `json:"targets"`

	client *keychain.Client // the planner's; nil when rebuilt from the journal
}

// ReplayKeychain is the Keychain a KeychainDelete rebuilt from the journal
// talks to: keychain.Platform (a fixed /usr/bin/security on macOS, none
// elsewhere). Tests point it at a stand-in; nothing read from disk does.
var ReplayKeychain = keychain.Platform

// NewKeychainDelete plans a removal from item through kc.
func NewKeychainDelete(kc *keychain.Client, item keychain.Item, lock *LockSpec) *KeychainDelete {
	m := &KeychainDelete{Item: item, Lock: lock, client: kc}
	if kc != nil {
		m.Timeout = kc.Timeout
	}
	return m
}

func (m *KeychainDelete) keychain() *keychain.Client {
	if m.client != nil {
		return m.client
	}
	kc := ReplayKeychain()
	if kc == nil {
		return nil
	}
	return &keychain.Client{Security: kc.Security, Timeout: m.Timeout}
}

// Store implements journal.Mutation.
func (m *KeychainDelete) Store() string { return store.Keychain }

// Kind implements journal.Mutation.
func (m *KeychainDelete) Kind() string { return KindKeychainDelete }

// Spec implements journal.Mutation: the item's name, paths and hashes — no value.
func (m *KeychainDelete) Spec() (json.RawMessage, error) { return json.Marshal(m) }

// Describe implements journal.Mutation.
func (m *KeychainDelete) Describe() []journal.Change {
	out := make([]journal.Change, 0, len(m.Targets))
	for _, t := range m.Targets {
		out = append(out, journal.Change{Store: store.Keychain, File: m.Item.String(), Key: t.Path.String(), Kind: t.Kind, Action: "delete", Detail: t.Detail})
	}
	return out
}

// Blocked implements journal.Mutation: the Keychain is not held for long; the
// storage lock is waited for inside Apply.
func (m *KeychainDelete) Blocked(context.Context) (string, bool) { return "", false }

func (m *KeychainDelete) read(ctx context.Context) ([]byte, bool, error) {
	data, found, err := m.keychain().Find(ctx, m.Item)
	if err != nil || !found {
		return nil, found, err
	}
	if !gjson.ValidBytes(data) || !gjson.ParseBytes(data).IsObject() {
		return nil, true, &store.DamagedError{Store: store.Keychain, File: m.Item.String(), Reason: "not a JSON object"}
	}
	return data, true, nil
}

// Backup implements journal.Mutation: each planned value, nothing else of
// the blob (see backupRecords).
func (m *KeychainDelete) Backup(ctx context.Context, dir string) error {
	data, found, err := m.read(ctx)
	if err != nil || !found {
		return err
	}
	return backupTargets(dir, data, m.Targets)
}

// write replaces the item's data after checking, under the lock, that it
// is still what the edit was computed from.
func (m *KeychainDelete) write(ctx context.Context, from, to []byte, check func() error) error {
	now, found, err := m.keychain().Find(ctx, m.Item)
	if err != nil {
		return err
	}
	if !found && from != nil || found && !bytes.Equal(now, from) {
		return &lockedfile.ChangedError{Path: m.Item.String(), What: "Claude Code rewrote it meanwhile"}
	}
	if err := check(); err != nil {
		return err
	}
	return m.keychain().Add(ctx, m.Item, to)
}

// Apply implements journal.Mutation.
func (m *KeychainDelete) Apply(ctx context.Context, dir string) error {
	release, check, err := m.Lock.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	data, found, err := m.read(ctx)
	if err != nil || !found {
		return err
	}
	doc, splices, err := deleteTargets(data, m.Targets, m.Item.String())
	if err != nil {
		return err
	}
	if bytes.Equal(doc, data) {
		return nil
	}
	out := jsonedit.Format(data, doc, jsonedit.Compact)
	if err := saveApplied(dir, data, out, splices); err != nil {
		return err
	}
	return m.write(ctx, data, out, check)
}

// Verify implements journal.Mutation: applied when no target key exists, as
// JSONDelete.Verify judges it.
func (m *KeychainDelete) Verify(ctx context.Context, _ string) (bool, error) {
	data, found, err := m.read(ctx)
	if err != nil || !found {
		return err == nil, err
	}
	return targetsGone(data, m.Targets), nil
}

// Restore implements journal.Mutation, as JSONDelete.Restore does for a file.
func (m *KeychainDelete) Restore(ctx context.Context, dir string) error {
	recs, ok, err := loadRecords(dir)
	if err != nil || !ok {
		return err
	}
	release, check, err := m.Lock.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	data, found, err := m.read(ctx)
	if err != nil {
		return err
	}
	doc := []byte("{}")
	if found {
		if pre, ok := appliedPreImage(dir, data); ok {
			return m.write(ctx, data, pre, check) // untouched since Apply: the whole blob
		}
		doc = data
	}
	doc, changed, err := putBack(doc, recs, m.Item.String())
	if err != nil || !changed {
		return err
	}
	return m.write(ctx, data, jsonedit.Format(doc, doc, jsonedit.Compact), check)
}
