//go:build !amd64

package registry

// indexSpecial returns the index of the first byte of b that ends a run
// of plain string characters — '"', '\\' or a control character — and
// len(b) when none does (see special_amd64.go).
func indexSpecial(b []byte) int { return indexSpecialGo(b) }
