package cache

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

// readStoreFile reads a store's file. A missing file is ok=false with no
// error: the client has simply not written it yet.
func readStoreFile(path string) (data []byte, ok bool, err error) {
	data, err = os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read %s: %w", path, err)
	}
	return data, true, nil
}

// parseObject decodes a JSON document whose top level must be an object, as
// JSON.parse would read it (a repeated key keeps its last value). The error
// is the reason the store counts as damaged.
func parseObject(data []byte) (map[string]json.RawMessage, error) {
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

// field is one property of a JSON object read leniently: Claude Code
// tolerates odd values, so a wrong type is recorded, not fatal.
type field struct {
	raw json.RawMessage
}

func (f field) present() bool { return len(f.raw) > 0 && string(f.raw) != "null" }

// number returns a JSON number field; ok is false when absent, null or not a number.
func (f field) number() (float64, bool) {
	if !f.present() {
		return 0, false
	}
	var v float64
	if err := json.Unmarshal(f.raw, &v); err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}

// str returns a string field; ok is false when absent or not a string.
func (f field) str() (string, bool) {
	if !f.present() {
		return "", false
	}
	var v string
	if err := json.Unmarshal(f.raw, &v); err != nil {
		return "", false
	}
	return v, true
}

// truthy is JavaScript truthiness of the field's value, for checks like
// `!entry.accessToken`.
func (f field) truthy() bool {
	if !f.present() {
		return false
	}
	switch string(f.raw) {
	case "false", `""`, "0", "-0":
		return false
	}
	if v, ok := f.number(); ok {
		return v != 0
	}
	return true
}

// object decodes a nested object field; nil when absent or not an object.
func (f field) object() map[string]json.RawMessage {
	if !f.present() {
		return nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(f.raw, &m); err != nil {
		return nil
	}
	return m
}

func get(m map[string]json.RawMessage, key string) field { return field{raw: m[key]} }

// msTime converts epoch milliseconds to a time.
func msTime(ms float64) time.Time {
	return time.UnixMilli(int64(ms)).Add(time.Duration(math.Mod(ms, 1) * float64(time.Millisecond)))
}

// ptrTime returns a pointer to a copy of t, in UTC for stable output.
func ptrTime(t time.Time) *time.Time {
	u := t.UTC()
	return &u
}

// clockSkew is how far in the future a stamp may lie and still count: Claude
// Code accepts (-60 s, ttl) to survive small clock differences.
const clockSkew = 60 * time.Second

// within reports whether a stamp written at ms is live at now for ttl, the
// way Claude Code judges it: -60 s < now - stamp, and now - stamp < ttl
// (inclusive reports whether the upper bound is <=, as gates B and C use).
func within(ms float64, ttl time.Duration, now time.Time, inclusive bool) bool {
	age := float64(now.UnixMilli()) - ms
	if age <= -float64(clockSkew.Milliseconds()) {
		return false
	}
	if inclusive {
		return age <= float64(ttl.Milliseconds())
	}
	return age < float64(ttl.Milliseconds())
}
