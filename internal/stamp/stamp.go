// Package stamp holds what a release build stamps at link time:
//
//	go build -ldflags "-X github.com/mcpmend/mcpmend/internal/stamp.Version=v1.2.3
//	  -X github.com/mcpmend/mcpmend/internal/stamp.Commit=…
//	  -X github.com/mcpmend/mcpmend/internal/stamp.Date=…" ./cmd/mcpmend
//
// (.goreleaser.yaml, cmd/mkbundle). A stamped version wins over the build
// info (internal/buildinfo). The package imports nothing, so it is
// initialized first and serve's pre-answer (tools/preanswer) can report a
// stamped version at once; an unstamped build's version comes from
// runtime/debug, which Go initializes after most of the standard library.
package stamp

// Version, Commit and Date are empty unless stamped.
var (
	Version string
	Commit  string
	Date    string
)
