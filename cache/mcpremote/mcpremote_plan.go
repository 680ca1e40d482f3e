package mcpremote

import (
	"context"
	"errors"
	"path/filepath"
	"time"

	"github.com/mcpmend/mcpmend/cache/journal"
	"github.com/mcpmend/mcpmend/cache/mutation"
	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/registry"
)

// PlanReset implements store.Store for mcp-remote: the server's own files,
// as mcp-remote's invalidateCredentials("all") would remove them — the
// sign-in in progress (code_verifier_*, discovery_state_*), the client
// registration, and the tokens — except that tokens are kept unless
// ForgetTokens, and so is the registration they were issued to (a refresh
// needs the same client). Leases (refresh_in_progress.json) belong to a
// running mcp-remote and unknown files to someone else: never touched.
func (s Store) PlanReset(ctx context.Context, env registry.Env, req store.ResetRequest) ([]journal.Mutation, error) {
	recs, err := s.Inspect(ctx, env, req.Server, time.Now())
	if err != nil {
		var de *store.DamagedError
		if !errors.As(err, &de) || len(recs) == 0 {
			return nil, err
		}
		// A tokens file that does not parse is still that server's file:
		// mcp-remote treats it as no tokens, and deleting it whole (with a
		// byte-for-byte backup) is safe. Nothing is edited inside it.
	}
	hasTokens := map[string]bool{} // directory → a tokens file is there
	for _, r := range recs {
		if r.Kind == KindTokens {
			hasTokens[filepath.Dir(r.File)] = true
		}
	}
	var targets []mutation.FileTarget
	for _, r := range recs {
		if !r.Resettable {
			continue
		}
		switch {
		case r.Kind == KindFlow,
			r.Kind == KindClient && (req.ForgetTokens || !hasTokens[filepath.Dir(r.File)]),
			r.Kind == KindTokens && req.ForgetTokens:
			targets = append(targets, mutation.FileTarget{Path: r.File, Kind: r.Kind, Detail: r.Detail})
		}
	}
	if len(targets) == 0 {
		return nil, nil
	}
	m, err := mutation.PlanFileDelete(store.MCPRemote, targets)
	if err != nil {
		return nil, err
	}
	return []journal.Mutation{m}, nil
}
