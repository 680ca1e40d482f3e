package registry

// indexSpecial returns the index of the first byte of b that ends a run
// of plain string characters — '"', '\\' or a control character — and
// len(b) when none does. Strings are most of a 100 MB ~/.claude.json with
// prompt history, and crossing them was a fifth of `list`'s CPU; SSE2
// compares 32 bytes a round (special_amd64.s). indexSpecialGo is the same
// in Go, for other architectures, and what the tests hold this to.
//
//go:noescape
func indexSpecial(b []byte) int
