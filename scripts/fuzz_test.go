// Package scripts holds the build's shell scripts (fuzz.sh,
// install-prometheus.sh); its Go code is only the tests that run them.
package scripts

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fuzzRepo makes a one-package module whose test file is src.
func fuzzRepo(t *testing.T, src string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range map[string]string{
		"go.mod":     "module example.com/fz\n\ngo 1.26\n",
		"fz.go":      "package fz\n",
		"fz_test.go": src,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// runFuzz runs fuzz.sh in dir and returns its output and exit status.
func runFuzz(t *testing.T, dir string, env []string, fuzztime string) (string, int) {
	t.Helper()
	script, err := filepath.Abs("fuzz.sh")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", script, fuzztime)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return string(out), 0
	case errors.As(err, &exit):
		return string(out), exit.ExitCode()
	}
	t.Fatalf("fuzz.sh: %v\n%s", err, out)
	return "", 0
}

const calmTarget = `package fz

import "testing"

func FuzzCalm(f *testing.F) {
	f.Add("seed")
	f.Fuzz(func(t *testing.T, s string) {})
}
`

// A target that finds nothing passes.
func TestFuzzScriptPasses(t *testing.T) {
	dir := fuzzRepo(t, calmTarget)
	// A count, not a time: this run must not meet the toolchain fault.
	out, status := runFuzz(t, dir, nil, "200x")
	if status != 0 || !strings.Contains(out, "fuzz: ok") {
		t.Fatalf("exit %d, want 0 and ok:\n%s", status, out)
	}
}

// A real crasher fails the run, and the script prints the reproducer the
// fuzzer wrote.
func TestFuzzScriptFailsOnCrasher(t *testing.T) {
	dir := fuzzRepo(t, `package fz

import "testing"

func FuzzLong(f *testing.F) {
	f.Add("a")
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 12 {
			panic("too long")
		}
	})
}
`)
	// The fuzzer grows inputs within its first thousands of runs; the time
	// is only an upper bound.
	out, status := runFuzz(t, dir, nil, "60s")
	if status != 1 {
		t.Fatalf("exit %d, want 1:\n%s", status, out)
	}
	files, err := filepath.Glob(filepath.Join(dir, "testdata", "fuzz", "FuzzLong", "*"))
	if err != nil || len(files) != 1 {
		t.Fatalf("reproducers %v (%v), want one:\n%s", files, err, out)
	}
	content, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"found a crasher", "testdata/fuzz/FuzzLong/" + filepath.Base(files[0]), string(content), "FAIL: FuzzLong"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// A failure that wrote no reproducer and is not the toolchain fault fails
// the run: here a seed that crashes, which Go reports before it fuzzes.
func TestFuzzScriptFailsOnFailingSeed(t *testing.T) {
	dir := fuzzRepo(t, `package fz

import "testing"

func FuzzSeed(f *testing.F) {
	f.Add("boom")
	f.Fuzz(func(t *testing.T, s string) {
		if s == "boom" {
			t.Fatal("boom is not handled")
		}
	})
}
`)
	out, status := runFuzz(t, dir, nil, "200x")
	if status != 1 || !strings.Contains(out, "FuzzSeed failed without writing a reproducer") {
		t.Fatalf("exit %d, want 1 naming the target:\n%s", status, out)
	}
}

// fakeGo installs a go command whose fuzzing run prints output and exits
// 1, standing in for the toolchain fault (go.dev/issue/75804), which a real
// run hits about once in 30 and cannot be made to hit on purpose. Listing
// the targets and the package answer as the real go command would.
func fakeGo(t *testing.T, output string) []string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "go")
	script := "#!/bin/sh\ncase \"$*\" in\n" +
		"*-list*) echo FuzzCalm; printf 'ok  \\texample.com/fz\\t0.001s\\n'; exit 0;;\n" +
		"list*) pwd; exit 0;;\n" +
		"esac\ncat <<'OUT'\n" + output + "OUT\nexit 1\n"
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return []string{"GO=" + path}
}

// The fault, exactly as Go 1.26 prints it: reported loudly, not failed.
func TestFuzzScriptToleratesDeadlineFault(t *testing.T) {
	dir := fuzzRepo(t, calmTarget)
	env := fakeGo(t, "fuzz: elapsed: 10s, execs: 40304 (0/sec), new interesting: 3 (total: 4)\n"+
		"--- FAIL: FuzzCalm (10.21s)\n"+
		"    context deadline exceeded\n"+
		"FAIL\n"+
		"exit status 1\n"+
		"FAIL\texample.com/fz\t10.215s\n")
	out, status := runFuzz(t, dir, env, "10s")
	if status != 0 || !strings.Contains(out, "WARNING: FuzzCalm") || !strings.Contains(out, "go.dev/issue/75804") {
		t.Fatalf("exit %d, want 0 with a warning naming the target and the Go issue:\n%s", status, out)
	}
}

// The same words from the code under test (a t.Fatal, so with a file and
// line), or beside other failure lines, are a real failure.
func TestFuzzScriptFailsOnOtherDeadlineErrors(t *testing.T) {
	for name, report := range map[string]string{
		"from the target": "--- FAIL: FuzzCalm (10.21s)\n    fz_test.go:9: context deadline exceeded\n",
		"with more lines": "--- FAIL: FuzzCalm (10.21s)\n    context deadline exceeded\n    panic: oops\n",
	} {
		t.Run(name, func(t *testing.T) {
			dir := fuzzRepo(t, calmTarget)
			env := fakeGo(t, report+"FAIL\nexit status 1\nFAIL\texample.com/fz\t10.215s\n")
			out, status := runFuzz(t, dir, env, "10s")
			if status != 1 || !strings.Contains(out, "FuzzCalm failed without writing a reproducer") {
				t.Fatalf("exit %d, want 1:\n%s", status, out)
			}
		})
	}
}
