//go:build unix

package installer

import (
	"context"
	"os"
	"syscall"
	"testing"
)

// TestInstallKeepsTheUsersOwnership: `sudo mcpmend install --home ~user`
// must leave the user's file theirs, with its mode.
func TestInstallKeepsTheUsersOwnership(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	env := testEnv(t)
	p := cursorFile(t, env, "{}\n")
	os.Chmod(p, 0o644)
	if err := os.Chown(p, 4321, 4321); err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), env, nil, Options{Clients: []string{"cursor"}, Command: "/bin/mcpmend"})
	if err != nil || res.Clients[0].Outcome != Installed {
		t.Fatalf("%+v %v", res, err)
	}
	fi, _ := os.Stat(p)
	if st := fi.Sys().(*syscall.Stat_t); st.Uid != 4321 || st.Gid != 4321 || fi.Mode().Perm() != 0o644 {
		t.Fatalf("owner %d:%d mode %v after install", st.Uid, st.Gid, fi.Mode().Perm())
	}
}
