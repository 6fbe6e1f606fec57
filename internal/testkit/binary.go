package testkit

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// mainPackage is the exporter's main package. Building it by import path
// works from any test's working directory inside the module.
const mainPackage = "github.com/codearts-check-exporter/codearts_check_exporter"

var build struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// Binary builds the exporter once per test process and returns the path
// of the executable. It outlives the test that first asks for it, so no
// t.Cleanup removes it: the TestMain of a package that calls Binary calls
// RemoveBinary after m.Run.
func Binary(t testing.TB) string {
	t.Helper()
	build.once.Do(func() {
		dir, err := os.MkdirTemp("", "codearts_check_exporter-test")
		if err != nil {
			build.err = err
			return
		}
		build.dir = dir
		out := filepath.Join(dir, "codearts_check_exporter")
		if output, err := exec.Command("go", "build", "-o", out, mainPackage).CombinedOutput(); err != nil {
			build.err = fmt.Errorf("go build: %v\n%s", err, output)
			return
		}
		build.path = out
	})
	if build.err != nil {
		t.Fatal(build.err)
	}
	return build.path
}

// RemoveBinary deletes what Binary built, if anything.
func RemoveBinary() {
	if build.dir != "" {
		os.RemoveAll(build.dir)
	}
}

// FreeAddr returns a loopback address, 127.0.0.1:port, that nothing
// listens on right now, for a process the test starts. Another process may
// take the port in between; tests that need certainty listen themselves.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
