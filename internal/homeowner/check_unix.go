//go:build unix

package homeowner

import (
	"fmt"
	"os"
	"os/user"
	"strconv"
	"syscall"
)

// Check returns nil when the effective user may write the stores under
// home: it owns home, or it is root and asOwner is set. A home that does
// not exist has nothing to write and passes.
func Check(home string, asOwner bool) error {
	fi, err := os.Stat(home)
	if err != nil {
		return nil
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	euid := os.Geteuid()
	if !ok || int(st.Uid) == euid || asOwner && euid == 0 {
		return nil
	}
	return &ForeignError{Home: home, Owner: describe(int(st.Uid)), User: describe(euid), AsOwner: asOwner}
}

// describe names a uid for messages: "alice (uid 1000)", or "uid 4242"
// when it has no account.
func describe(uid int) string {
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil && u.Username != "" {
		return fmt.Sprintf("%s (uid %d)", u.Username, uid)
	}
	return fmt.Sprintf("uid %d", uid)
}
