// Package buildinfo is what mcpmend knows about its own build: the version
// `mcpmend version` prints and MCP clients read in serverInfo. It lives
// outside package main, with no heavy imports, because serve's pre-answer
// (tools/preanswer) needs the version while the other packages are still
// initializing: this package's init hands it over.
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/mcpmend/mcpmend/internal/stamp"
	"github.com/mcpmend/mcpmend/tools/preanswer"
)

// serve's pre-answer reports this version in serverInfo, as go-sdk does
// from tools.Version (set from Current too).
func init() { preanswer.ProvideVersion(func() string { return Current().Version }) }

// Info is what mcpmend knows about its own build.
type Info struct {
	Version  string `json:"version"`            // v1.2.3, a pseudo-version, or devel+REV
	Revision string `json:"revision,omitempty"` // VCS commit
	Time     string `json:"time,omitempty"`     // VCS commit time
	Modified bool   `json:"modified,omitempty"` // built from a tree with uncommitted changes
	Go       string `json:"go"`
	Platform string `json:"platform"`
}

// Current is the running binary's build info, read once: a release's
// stamped version (internal/stamp), else what debug.ReadBuildInfo records.
var Current = sync.OnceValue(func() Info {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	return Describe(bi, stamp.Version, stamp.Commit, stamp.Date)
})

// Describe turns build info into a version: a stamped version first; then
// the module version `go install …@vX` (or Go ≥ 1.24's `go build` in a
// repository) records; then, for "(devel)" builds, devel+REVISION from the
// VCS stamp; plain "devel" when nothing is known (`go run`, -buildvcs=false).
func Describe(bi *debug.BuildInfo, stamped, stampedCommit, stampedDate string) Info {
	b := Info{Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi != nil {
		b.Version = bi.Main.Version
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				b.Revision = s.Value
			case "vcs.time":
				b.Time = s.Value
			case "vcs.modified":
				b.Modified = s.Value == "true"
			}
		}
	}
	if stamped != "" {
		b.Version = stamped
	}
	if stampedCommit != "" {
		b.Revision = stampedCommit
	}
	if stampedDate != "" {
		b.Time = stampedDate
	}
	if b.Version == "" || b.Version == "(devel)" {
		b.Version = "devel"
		if b.Revision != "" {
			b.Version += "+" + short(b.Revision)
			if b.Modified {
				b.Version += ".dirty"
			}
		}
	}
	return b
}

func short(rev string) string {
	if len(rev) > 12 {
		return rev[:12]
	}
	return rev
}

// String is the one line `mcpmend version` and `--version` print.
func (b Info) String() string {
	var extra []string
	if b.Revision != "" && !strings.Contains(b.Version, short(b.Revision)) {
		extra = append(extra, "commit "+short(b.Revision))
	}
	if b.Time != "" {
		extra = append(extra, b.Time)
	}
	if b.Modified && !strings.Contains(b.Version, "dirty") {
		extra = append(extra, "modified")
	}
	extra = append(extra, b.Go, b.Platform)
	return fmt.Sprintf("mcpmend %s (%s)", b.Version, strings.Join(extra, ", "))
}
