//go:build windows

package privtemp

import (
	"io/fs"
	"unsafe"

	"golang.org/x/sys/windows"
)

// ownedByMe reports whether path's owner is this process's user, or the
// owner its new files get (an elevated administrator's files belong to
// BUILTIN\Administrators): %TEMP% is usually per user, but C:\Windows\Temp
// (services, some installers) is not.
func ownedByMe(path string, _ fs.FileInfo) bool {
	sd, err := windows.GetNamedSecurityInfo(path, windows.SE_FILE_OBJECT, windows.OWNER_SECURITY_INFORMATION)
	if err != nil {
		return false
	}
	owner, _, err := sd.Owner()
	if err != nil || owner == nil {
		return false
	}
	token := windows.GetCurrentProcessToken()
	if user, err := token.GetTokenUser(); err == nil && windows.EqualSid(owner, user.User.Sid) {
		return true
	}
	def, err := defaultOwner(token)
	return err == nil && windows.EqualSid(owner, def)
}

// defaultOwner is the TokenOwner SID: the owner of objects this process
// creates.
func defaultOwner(t windows.Token) (*windows.SID, error) {
	n := uint32(64)
	for {
		buf := make([]byte, n)
		err := windows.GetTokenInformation(t, windows.TokenOwner, &buf[0], n, &n)
		if err == nil {
			// TOKEN_OWNER is one pointer to a SID inside buf.
			sid := *(**windows.SID)(unsafe.Pointer(&buf[0]))
			return sid.Copy()
		}
		if err != windows.ERROR_INSUFFICIENT_BUFFER {
			return nil, err
		}
	}
}
