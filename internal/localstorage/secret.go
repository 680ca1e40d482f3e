package localstorage

import "log/slog"

// Secret is an item's value: it may hold a token, so every way of printing
// it (fmt, %#v, JSON, slog) shows a placeholder. Reveal returns the value,
// only to match or back it up.
type Secret string

// redacted is what a Secret prints as, the same placeholder as the rest of
// mcpmend's output.
const redacted = "[redacted]"

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return string(s) }

// String implements fmt.Stringer with the placeholder.
func (s Secret) String() string { return redacted }

// GoString keeps %#v from printing the value.
func (s Secret) GoString() string { return redacted }

// MarshalJSON encodes the placeholder.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// LogValue implements slog.LogValuer with the placeholder.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }
