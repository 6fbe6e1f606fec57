package fakecloud

import (
	"testing"
	"time"
)

// A demo task's last_check_time is its cycle's: the start of the current
// check, or the end of the latest check that ended.
func TestDemoLastCheckTime(t *testing.T) {
	start := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	now := start
	sim := NewDemo(Options{Now: func() time.Time { return now }})
	const backend = "3f9a1c7e5b2d4f608a1e3c5b7d9f1a2b" // offset 0
	at := func() time.Time {
		sim.mu.Lock()
		defer sim.mu.Unlock()
		tk, _ := sim.lookupTask(backend)
		v, ok := sim.lastCheckTime(tk)
		if !ok {
			t.Fatal("demo task without last_check_time")
		}
		return v
	}
	now = start.Add(10 * time.Second) // checking, cycle 0
	if got := at(); !got.Equal(start) {
		t.Errorf("start reading while checking: %v, want %v", got, start)
	}
	sim.SetLastCheckMode(LastCheckAtEnd)
	if got, want := at(), start.Add(-demoPeriod+demoChecking); !got.Equal(want) {
		t.Errorf("end reading while checking: %v, want %v", got, want)
	}
	now = start.Add(demoChecking + time.Second) // result phase
	if got, want := at(), start.Add(demoChecking); !got.Equal(want) {
		t.Errorf("end reading after the check: %v, want %v", got, want)
	}
}
