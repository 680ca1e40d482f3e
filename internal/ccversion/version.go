package ccversion

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is a Claude Code release, x.y.z. The zero Version means "unknown".
type Version struct {
	Major, Minor, Patch int
}

// Parse reads "2.1.119", "v2.1.119", "2.1.119 (Claude Code)" or a
// pre-release such as "2.1.119-beta.1" (the suffix is ignored: rules are
// measured on releases).
func Parse(s string) (Version, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "v")
	if i := strings.IndexAny(s, " -+"); i >= 0 {
		s = s[:i]
	}
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return Version{}, fmt.Errorf("version %q is not x.y.z", s)
	}
	var n [3]int
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 || len(p) > 9 {
			return Version{}, fmt.Errorf("version %q is not x.y.z", s)
		}
		n[i] = v
	}
	return Version{n[0], n[1], n[2]}, nil
}

// MustParse is Parse for the constants of the rule table.
func MustParse(s string) Version {
	v, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return v
}

// Known reports whether the version was read at all.
func (v Version) Known() bool { return v != Version{} }

// String prints x.y.z, or "unknown".
func (v Version) String() string {
	if !v.Known() {
		return "unknown"
	}
	return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)
}

// Compare returns -1, 0 or +1 as v is older than, the same as, or newer than w.
func (v Version) Compare(w Version) int {
	for _, d := range [3]int{v.Major - w.Major, v.Minor - w.Minor, v.Patch - w.Patch} {
		switch {
		case d < 0:
			return -1
		case d > 0:
			return 1
		}
	}
	return 0
}
