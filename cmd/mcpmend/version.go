package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Release builds may stamp these with -ldflags "-X main.version=v1.2.3
// -X main.commit=… -X main.date=…" (goreleaser's defaults); a stamped version
// wins over the build info. Everything else reads debug.ReadBuildInfo.
var (
	version = ""
	commit  = ""
	date    = ""
)

// buildInfo is what mcpmend knows about its own build.
type buildInfo struct {
	Version  string `json:"version"`            // v1.2.3, a pseudo-version, or devel+REV
	Revision string `json:"revision,omitempty"` // VCS commit
	Time     string `json:"time,omitempty"`     // VCS commit time
	Modified bool   `json:"modified,omitempty"` // built from a tree with uncommitted changes
	Go       string `json:"go"`
	Platform string `json:"platform"`
}

// currentBuild reads the running binary's build info.
func currentBuild() buildInfo {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	return describeBuild(bi, version, commit, date)
}

// describeBuild turns build info into a version: a stamped version first;
// then the module version `go install …@vX` (or Go ≥ 1.24's `go build` in a
// repository) records; then, for "(devel)" builds, devel+REVISION from the
// VCS stamp; plain "devel" when nothing is known (`go run`, -buildvcs=false).
func describeBuild(bi *debug.BuildInfo, stamped, stampedCommit, stampedDate string) buildInfo {
	b := buildInfo{Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
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
func (b buildInfo) String() string {
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
