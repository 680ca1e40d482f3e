package main

import "github.com/mcpmend/mcpmend/internal/buildinfo"

// buildInfo is what mcpmend knows about its own build (internal/buildinfo,
// where release builds stamp the version).
type buildInfo = buildinfo.Info

// currentBuild is the running binary's build info.
func currentBuild() buildInfo { return buildinfo.Current() }

// describeBuild turns build info into a version (buildinfo.Describe).
var describeBuild = buildinfo.Describe
