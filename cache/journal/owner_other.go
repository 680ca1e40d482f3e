//go:build !unix

package journal

// trust accepts every journal off Unix: the state directory lives in the
// user's own profile (%LOCALAPPDATA%), whose ACL already keeps others out.
func (j *Journal) trust(string) string { return "" }

// giveToHomeOwner does nothing off Unix.
func (j *Journal) giveToHomeOwner() {}
