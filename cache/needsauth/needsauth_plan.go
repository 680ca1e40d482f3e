package needsauth

import (
	"context"
	"time"

	"github.com/mcpmend/mcpmend/cache/journal"
	"github.com/mcpmend/mcpmend/cache/mutation"
	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/internal/jsonedit"
	"github.com/mcpmend/mcpmend/internal/lockedfile"
	"github.com/mcpmend/mcpmend/internal/nodejson"
	"github.com/mcpmend/mcpmend/registry"
)

// PlanReset implements store.Store for gate A: the needs-auth entry filed
// under the server's name, whatever its age (a lapsed entry blocks nothing
// but is still memory of the server). The file has no lock and is compact.
func (Store) PlanReset(_ context.Context, env registry.Env, req store.ResetRequest) ([]journal.Mutation, error) {
	srv := req.Server
	if srv.Client != registry.ClaudeCode {
		return nil, nil
	}
	path := File(env)
	snap, err := lockedfile.Read(path)
	if err != nil || !snap.Exists {
		return nil, err
	}
	entries, err := Parse(snap.Data)
	if err != nil {
		return nil, &store.DamagedError{Store: store.NeedsAuth, File: path, Reason: err.Error()}
	}
	for _, e := range entries {
		if e.Name != srv.Name {
			continue
		}
		detail := "the needs-auth cache entry"
		if e.Problem == "" {
			detail += " written " + nodejson.MsTime(e.TimestampMs).UTC().Format(time.RFC3339)
		}
		m, err := mutation.JSONDeleteFrom(store.NeedsAuth, path, nil, 0, snap.Data, []mutation.JSONTarget{
			{Path: jsonedit.Path{srv.Name}, Kind: store.KindNeedsAuth, Detail: detail}})
		if err != nil {
			return nil, err
		}
		// Claude Code rewrites this file in place, so a symlink is written
		// through by it too; mcpmend replaces the link's target.
		m.Links = lockedfile.FollowSymlinks
		return []journal.Mutation{m}, nil
	}
	return nil, nil
}
