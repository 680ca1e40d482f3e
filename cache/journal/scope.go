package journal

import (
	"fmt"
	"sync"

	"github.com/mcpmend/mcpmend/registry"
)

// The journal is data, not instructions. An entry.json names paths, keys and
// locks, and anyone who can write the state directory could have written
// it; so before a step runs, resumes or is undone, the store that owns the
// step recomputes, for this home and this server, where the store lives and
// checks that the decoded mutation acts there and nowhere else. A step whose
// spec names anything else is refused with a warning and never run.

// ScopeCheck reports why m may not run for the server srv in env's home (nil
// when every path, lock, item and key it would touch is one the store
// derives itself). It must recompute, never trust a path read from m.
type ScopeCheck func(env registry.Env, srv ServerRef, m Mutation) error

var (
	scopesMu sync.RWMutex
	scopes   = map[string]ScopeCheck{}
)

// RegisterScope makes check the judge of every step of store. Stores
// register from init, beside their planner; a step of a store with no check
// never runs.
func RegisterScope(store string, check ScopeCheck) {
	scopesMu.Lock()
	defer scopesMu.Unlock()
	if _, dup := scopes[store]; dup {
		panic("journal: scope registered twice for store " + store)
	}
	scopes[store] = check
}

// ScopeError says why a step's spec was refused.
type ScopeError struct {
	Store  string
	Reason string
}

func (e *ScopeError) Error() string {
	return fmt.Sprintf("refused: this %s step names something mcpmend does not derive for this home and server (%s); nothing was run", e.Store, e.Reason)
}

// mutationOf decodes step s of e and checks it stays inside its store's scope.
func (j *Journal) mutationOf(e *Entry, s *Step) (Mutation, error) {
	m, err := decodeMutation(s.Kind, s.Spec)
	if err != nil {
		return nil, err
	}
	if m.Store() != s.Store {
		return nil, j.refuse(e, &ScopeError{Store: s.Store, Reason: fmt.Sprintf("its spec is for store %q", m.Store())})
	}
	scopesMu.RLock()
	check := scopes[s.Store]
	scopesMu.RUnlock()
	if check == nil {
		return nil, j.refuse(e, &ScopeError{Store: s.Store, Reason: "no store of that name"})
	}
	if err := check(j.Env, e.Server, m); err != nil {
		return nil, j.refuse(e, &ScopeError{Store: s.Store, Reason: err.Error()})
	}
	return m, nil
}

func (j *Journal) refuse(e *Entry, err error) error {
	j.Log.Warn("journal step refused", "id", e.ID, "err", err)
	return err
}

// Check decodes every step of e and checks that each stays inside what its
// store derives for this home and server, running nothing. It is what every
// replay, resume and undo does before it acts, so an entry that passes here
// is one mcpmend would act on.
func (j *Journal) Check(e *Entry) error {
	for i := range e.Steps {
		if _, err := j.mutationOf(e, &e.Steps[i]); err != nil {
			return fmt.Errorf("step %d: %w", i+1, err)
		}
	}
	return nil
}
