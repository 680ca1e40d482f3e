package cache

import (
	"context"
	"errors"
	"testing"

	"github.com/mcpmend/mcpmend/cache/credentials"
	"github.com/mcpmend/mcpmend/cache/internal/storetest"
	"github.com/mcpmend/mcpmend/cache/journal"
	"github.com/mcpmend/mcpmend/internal/jsonedit"
	"github.com/mcpmend/mcpmend/internal/keychain"
)

// TestKeychainUndoAfterLaterWrites: when Claude Code rewrote the Keychain
// blob after a reset, undo cannot put the whole blob back; it puts the
// removed record back and keeps the later write, or — when the removed
// record exists again with other content — refuses and changes nothing.
// (TestResetKeychainItem covers the untouched, whole-blob undo.)
func TestKeychainUndoAfterLaterWrites(t *testing.T) {
	srvPath := jsonedit.Path{"mcpOAuth", srvKey}
	thirdPath := jsonedit.Path{"mcpOAuth", "third|1111111111111111"}
	for _, tt := range []struct {
		name     string
		later    string // the blob Claude Code writes after the reset
		conflict bool
	}{
		{"another server signs in", credsWith("", clientCfg, `"third|1111111111111111":{"serverName":"third"}`), false},
		{"the server's entry is re-created", credsWith(`{"serverName":"srv","accessToken":"CANARY-new"}`, clientCfg), true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sec, _ := fakeSecurity(t)
			kc := &keychain.Client{Security: sec}
			env := storetest.Env(t.TempDir(), "USER", "tester")
			item := credentials.KeychainItem(env)
			ctx := context.Background()
			if err := kc.Add(ctx, item, []byte(credsWith(tokenlessAB, clientCfg))); err != nil {
				t.Fatal(err)
			}
			e, _ := planAndRun(t, env, storetest.ClaudeServer(t, "srv", srvEntry), false, kc)
			if err := kc.Add(ctx, item, []byte(tt.later)); err != nil {
				t.Fatal(err)
			}

			_, err := journal.Open(env, nil).Undo(ctx, e.ID)
			got, _, ferr := kc.Find(ctx, item)
			if ferr != nil {
				t.Fatal(ferr)
			}
			if tt.conflict {
				var ce *journal.ConflictError
				if !errors.As(err, &ce) || ce.Key != srvPath.String() {
					t.Fatalf("undo over a re-created record: %v", err)
				}
				if string(got) != tt.later {
					t.Fatalf("a refused undo changed the item:\n%s", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if v, ok, _ := jsonedit.Get(got, srvPath); !ok || string(v) != tokenlessAB {
				t.Errorf("%s after undo = %s, want %s", srvPath, v, tokenlessAB)
			}
			if _, ok, _ := jsonedit.Get(got, thirdPath); !ok {
				t.Errorf("undo dropped the record written after the reset:\n%s", got)
			}
		})
	}
}
