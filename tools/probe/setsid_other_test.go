//go:build !unix

package probe

func unixBehaviour(string) (int, bool) { return 0, false }
