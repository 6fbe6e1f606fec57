package main

import (
	_ "embed"
	"strings"

	"github.com/prometheus/common/version"
)

// versionFile is the release this source tree is, so that a plain `go build`
// or `go run .` reports it too; the Makefile and the Dockerfile set
// version.Version with -ldflags instead, which wins. The revision needs no
// such help: prometheus/common/version reads vcs.revision from the build
// information whenever the go command stamped it.
//
//go:embed VERSION
var versionFile string

func init() {
	if version.Version == "" {
		version.Version = strings.TrimSpace(versionFile)
	}
}
