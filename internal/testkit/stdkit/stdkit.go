// Package stdkit is the part of the tests' shared kit that imports nothing
// from this module, so that the in-package tests of config and of the
// simulator can use it too: testkit imports both packages, and Go forbids
// the cycle. Everything else the tests share is in testkit.
package stdkit

import (
	"errors"
	"os"
	"syscall"
	"testing"
	"time"
)

// Patience is how long WaitFor waits. It only matters when the test fails
// anyway, so it is generous enough for a loaded machine under -race.
const Patience = 20 * time.Second

// maxPoll is the longest pause between two checks: short enough that a
// wait ends soon after its condition holds, long enough that a check which
// asks another process (Prometheus, the exporter) does not flood it.
const maxPoll = 100 * time.Millisecond

var errNotYet = errors.New("still false")

// WaitFor polls cond, which other goroutines or processes make true, and
// fails the test naming what it waited for if cond is still false after
// Patience. Like t.Fatal, it must be called from the test's goroutine.
func WaitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	Until(tb, time.Now().Add(Patience), what, func() error {
		if cond() {
			return nil
		}
		return errNotYet
	})
}

// Until polls check until it returns nil, and fails the test with what
// and check's last error once deadline has passed: the error is where a
// check says what it saw instead. The pause between checks grows from a
// millisecond to maxPoll. Like t.Fatal, it must be called from the test's
// goroutine.
func Until(tb testing.TB, deadline time.Time, what string, check func() error) {
	tb.Helper()
	for pause := time.Millisecond; ; pause = min(2*pause, maxPoll) {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s: %v", what, err)
		}
		time.Sleep(pause)
	}
}

// DevZero makes path a symlink to /dev/zero: a file that never ends, which
// a reader without a size check reads until memory runs out.
func DevZero(tb testing.TB, path string) {
	tb.Helper()
	if err := os.Symlink("/dev/zero", path); err != nil {
		tb.Fatal(err)
	}
}

// FIFO makes a named pipe at path that nothing writes to: opening it to
// read blocks for ever.
func FIFO(tb testing.TB, path string) {
	tb.Helper()
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		tb.Fatal(err)
	}
}
