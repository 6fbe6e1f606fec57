package stdkit

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// fatalRecorder is a testing.TB whose Fatal ends only the goroutine it is
// called in, so that a test can see what a helper reports when it fails.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (r *fatalRecorder) Helper() {}

func (r *fatalRecorder) Fatalf(format string, args ...any) {
	r.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *fatalRecorder) Fatal(args ...any) {
	r.msg = fmt.Sprint(args...)
	runtime.Goexit()
}

// run calls f with a recorder in a goroutine of its own (Goexit must not
// end the test's) and returns what it reported, "" if it did not fail.
func run(t *testing.T, f func(tb testing.TB)) string {
	r := &fatalRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r.msg
}

// WaitFor returns once another goroutine makes the condition true.
func TestWaitForReturnsWhenTheConditionHolds(t *testing.T) {
	var set atomic.Bool
	checks := 0
	go set.Store(true)
	msg := run(t, func(tb testing.TB) {
		WaitFor(tb, "the flag", func() bool { checks++; return set.Load() })
	})
	if msg != "" || !set.Load() || checks == 0 {
		t.Errorf("WaitFor: failed %q, flag %v, %d checks; want it to return once the flag is set", msg, set.Load(), checks)
	}
}

// Past the deadline, Until fails naming what it waited for and what the
// check last said; it checks at least once, even with the deadline gone.
func TestUntilFailsWithTheLastError(t *testing.T) {
	checks := 0
	msg := run(t, func(tb testing.TB) {
		Until(tb, time.Now().Add(-time.Second), "the answer", func() error {
			checks++
			return fmt.Errorf("HTTP 503 on check %d", checks)
		})
	})
	if checks != 1 || msg != "timed out waiting for the answer: HTTP 503 on check 1" {
		t.Errorf("Until past its deadline: %d checks, message %q", checks, msg)
	}
	msg = run(t, func(tb testing.TB) {
		Until(tb, time.Now().Add(-time.Second), "x", func() error { return nil })
	})
	if msg != "" {
		t.Errorf("Until with a check that passes failed: %q", msg)
	}
}

func TestUntilPollsUntilTheCheckPasses(t *testing.T) {
	checks := 0
	msg := run(t, func(tb testing.TB) {
		Until(tb, time.Now().Add(Patience), "three checks", func() error {
			if checks++; checks < 3 {
				return errors.New("not yet")
			}
			return nil
		})
	})
	if msg != "" || checks != 3 {
		t.Errorf("Until: %d checks, failed %q; want it to return on the third", checks, msg)
	}
}

func TestClockMovesOnlyWhenMoved(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := NewClock(start)
	if got := c.Now(); !got.Equal(start) {
		t.Fatalf("Now = %v, want %v", got, start)
	}
	c.Advance(90 * time.Second)
	if got := c.Now(); !got.Equal(start.Add(90 * time.Second)) {
		t.Errorf("after Advance(90s) Now = %v, want %v", got, start.Add(90*time.Second))
	}
	back := start.Add(-time.Hour)
	c.Set(back)
	if got := c.Now(); !got.Equal(back) {
		t.Errorf("after Set(%v) Now = %v", back, got)
	}
}

// The two files are what they claim: a character device behind a link,
// and a FIFO.
func TestDevZeroAndFIFO(t *testing.T) {
	dir := t.TempDir()
	zero, fifo := filepath.Join(dir, "zero"), filepath.Join(dir, "fifo")
	DevZero(t, zero)
	FIFO(t, fifo)
	if fi, err := os.Stat(zero); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		t.Errorf("DevZero: %v, %v; want a character device", fi.Mode(), err)
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("FIFO: %v, %v; want a named pipe", fi.Mode(), err)
	}
	if msg := run(t, func(tb testing.TB) { FIFO(tb, fifo) }); !strings.Contains(msg, syscall.EEXIST.Error()) {
		t.Errorf("FIFO over an existing file reported %q, want the error", msg)
	}
}

// The test's own peak RSS covers a buffer it has just touched in full.
func TestPeakRSSSeesMemoryInUse(t *testing.T) {
	buf := make([]byte, 64<<20)
	for i := range buf {
		buf[i] = 1
	}
	if rss := PeakRSS(t, os.Getpid()); rss < uint64(len(buf)) {
		t.Errorf("PeakRSS = %d bytes with %d in use", rss, len(buf))
	}
	runtime.KeepAlive(buf)
	if msg := run(t, func(tb testing.TB) { PeakRSS(tb, -1) }); !strings.Contains(msg, "/proc/-1/status") {
		t.Errorf("PeakRSS of no process reported %q, want the file named", msg)
	}
}
