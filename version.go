package main

import (
	_ "embed"
	"strings"

	"github.com/prometheus/common/version"
)

// versionFile lets a plain `go build` or `go run .` report the release this
// tree is; the Makefile and the Dockerfile set version.Version with
// -ldflags, which wins. prometheus/common/version reads the revision from
// the build information by itself.
//
//go:embed VERSION
var versionFile string

func init() {
	if version.Version == "" {
		version.Version = strings.TrimSpace(versionFile)
	}
}
