package main

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit"
)

// A plain `go build` (exporterBinary builds with no -ldflags) reports the
// release in the VERSION file, in --version and in
// codearts_check_build_info, and the VCS revision exactly when the go
// command stamped one into the binary.
func TestPlainBuildReportsVersion(t *testing.T) {
	raw, err := os.ReadFile("VERSION")
	if err != nil {
		t.Fatal(err)
	}
	want := strings.TrimSpace(string(raw))
	if want == "" {
		t.Fatal("VERSION is empty")
	}
	bin := testkit.Binary(t)

	// What the go command recorded, read the way `go version -m` shows it.
	info, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	revision := "unknown"
	modified := false
	for _, line := range strings.Split(string(info), "\n") {
		f := strings.Fields(line)
		if len(f) == 2 && f[0] == "build" {
			if v, ok := strings.CutPrefix(f[1], "vcs.revision="); ok {
				revision = v
			}
			modified = modified || f[1] == "vcs.modified=true"
		}
	}
	if modified {
		revision += "-modified"
	}

	out, err := exec.Command(bin, "--version").CombinedOutput()
	if err != nil {
		t.Fatal(err, string(out))
	}
	first, _, _ := bytes.Cut(out, []byte("\n"))
	wantLine := "codearts_check_exporter, version " + want + " (branch: , revision: " + revision + ")"
	if string(first) != wantLine {
		t.Errorf("--version says\n%s\nwant\n%s", first, wantLine)
	}

	e := startExporter(t, "--demo")
	var buildInfo string
	for _, line := range strings.Split(e.get(t, "/metrics"), "\n") {
		if strings.HasPrefix(line, "codearts_check_build_info{") {
			buildInfo = line
		}
	}
	for _, label := range []string{`version="` + want + `"`, `revision="` + revision + `"`} {
		if !strings.Contains(buildInfo, label) {
			t.Errorf("codearts_check_build_info lacks %s: %q", label, buildInfo)
		}
	}
}
