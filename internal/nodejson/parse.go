package nodejson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"time"
)

// ReadFile reads a store's file. A missing file is ok=false with no
// error: the client has simply not written it yet.
func ReadFile(path string) (data []byte, ok bool, err error) {
	data, err = os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read %s: %w", path, err)
	}
	return data, true, nil
}

// ParseObject decodes a JSON document whose top level must be an object, as
// JSON.parse would read it (a repeated key keeps its last value). The error
// is the reason the store counts as damaged.
func ParseObject(data []byte) (map[string]json.RawMessage, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, errors.New("the file is empty (a write was interrupted, or another program truncated it)")
	}
	var top any
	if err := json.Unmarshal(trimmed, &top); err != nil {
		return nil, fmt.Errorf("not valid JSON: %s", syntaxWhere(trimmed, err))
	}
	if _, ok := top.(map[string]any); !ok {
		return nil, fmt.Errorf("top level is %s, not an object", jsonKind(top))
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &m); err != nil {
		return nil, fmt.Errorf("not valid JSON: %v", err)
	}
	return m, nil
}

// syntaxWhere renders a decoding error with its byte offset where known.
func syntaxWhere(data []byte, err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s at byte %d of %d", se.Error(), se.Offset, len(data))
	}
	return err.Error()
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case []any:
		return "an array"
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	}
	return "not an object"
}

// Field is one property of a JSON object read leniently: Claude Code
// tolerates odd values, so a wrong type is recorded, not fatal.
type Field struct {
	Raw json.RawMessage // the value as written
}

// Present reports whether the field is there and not null.
func (f Field) Present() bool { return len(f.Raw) > 0 && string(f.Raw) != "null" }

// Number returns a JSON number field; ok is false when absent, null or not a number.
func (f Field) Number() (float64, bool) {
	if !f.Present() {
		return 0, false
	}
	var v float64
	if err := json.Unmarshal(f.Raw, &v); err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}

// Str returns a string field; ok is false when absent or not a string.
func (f Field) Str() (string, bool) {
	if !f.Present() {
		return "", false
	}
	var v string
	if err := json.Unmarshal(f.Raw, &v); err != nil {
		return "", false
	}
	return v, true
}

// Truthy is JavaScript truthiness of the field's value, for checks like
// `!entry.accessToken`.
func (f Field) Truthy() bool {
	if !f.Present() {
		return false
	}
	switch string(f.Raw) {
	case "false", `""`, "0", "-0":
		return false
	}
	if v, ok := f.Number(); ok {
		return v != 0
	}
	return true
}

// Object decodes a nested object field; nil when absent or not an object.
func (f Field) Object() map[string]json.RawMessage {
	if !f.Present() {
		return nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(f.Raw, &m); err != nil {
		return nil
	}
	return m
}

// Get returns m's property key as a Field (absent when missing).
func Get(m map[string]json.RawMessage, key string) Field { return Field{Raw: m[key]} }

// MsTime converts epoch milliseconds to a time.
func MsTime(ms float64) time.Time {
	return time.UnixMilli(int64(ms)).Add(time.Duration(math.Mod(ms, 1) * float64(time.Millisecond)))
}

// PtrTime returns a pointer to a copy of t, in UTC for stable output.
func PtrTime(t time.Time) *time.Time {
	u := t.UTC()
	return &u
}

// ClockSkew is how far in the future a stamp may lie and still count: Claude
// Code accepts (-60 s, ttl) to survive small clock differences.
const ClockSkew = 60 * time.Second

// Within reports whether a stamp written at ms is live at now for ttl, the
// way Claude Code judges it: -60 s < now - stamp, and now - stamp < ttl
// (inclusive reports whether the upper bound is <=, as gates B and C use).
func Within(ms float64, ttl time.Duration, now time.Time, inclusive bool) bool {
	age := float64(now.UnixMilli()) - ms
	if age <= -float64(ClockSkew.Milliseconds()) {
		return false
	}
	if inclusive {
		return age <= float64(ttl.Milliseconds())
	}
	return age < float64(ttl.Milliseconds())
}
