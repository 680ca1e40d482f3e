//go:build !linux && !darwin

package lockedfile

func exchange(string, string) error { return ErrNoExchange }
