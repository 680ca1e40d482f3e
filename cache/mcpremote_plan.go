package cache

import (
	"context"
	"errors"
	"path/filepath"
	"time"

	"github.com/mcpmend/mcpmend/registry"
)

// PlanReset implements ResetPlanner for mcp-remote: the server's own files,
// as mcp-remote's invalidateCredentials("all") would remove them — the
// sign-in in progress (code_verifier_*, discovery_state_*), the client
// registration, and the tokens — except that tokens are kept unless
// ForgetTokens, and so is the registration they were issued to (a refresh
// needs the same client). Leases (refresh_in_progress.json) belong to a
// running mcp-remote and unknown files to someone else: never touched.
func (s MCPRemoteStore) PlanReset(ctx context.Context, env registry.Env, req ResetRequest) ([]Mutation, error) {
	recs, err := s.Inspect(ctx, env, req.Server, time.Now())
	if err != nil {
		var de *DamagedError
		if !errors.As(err, &de) || len(recs) == 0 {
			return nil, err
		}
		// A tokens file that does not parse is still that server's file:
		// mcp-remote treats it as no tokens, and deleting it whole (with a
		// byte-for-byte backup) is safe. Nothing is edited inside it.
	}
	hasTokens := map[string]bool{} // directory → a tokens file is there
	for _, r := range recs {
		if r.Kind == KindMCPRemoteTokens {
			hasTokens[filepath.Dir(r.File)] = true
		}
	}
	var targets []FileTarget
	for _, r := range recs {
		if !r.Resettable {
			continue
		}
		switch {
		case r.Kind == KindMCPRemoteFlow,
			r.Kind == KindMCPRemoteClient && (req.ForgetTokens || !hasTokens[filepath.Dir(r.File)]),
			r.Kind == KindMCPRemoteTokens && req.ForgetTokens:
			targets = append(targets, FileTarget{Path: r.File, Kind: r.Kind, Detail: r.Detail})
		}
	}
	if len(targets) == 0 {
		return nil, nil
	}
	m, err := PlanFileDelete(StoreMCPRemote, targets)
	if err != nil {
		return nil, err
	}
	return []Mutation{m}, nil
}
