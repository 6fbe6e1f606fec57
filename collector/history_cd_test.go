package collector

import (
	"testing"
	"time"
)

// With change detection, a whole check with the same result as the last
// (only last_check_time moved) is counted once, when the follow window
// has passed without the status showing another check; and its duration
// is read. Under both readings of last_check_time.
func TestHistoryMovedTimeSameResult(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			e := newCDEnv(t, m.mode, true)
			for range 3 {
				e.step()
			}
			e.sim.FinishCheck(cdA, true) // a 65 s check, ended now
			res := e.step()
			if got := res.checks(cdA); got != (checks{}) {
				t.Errorf("when the time moved: %+v, want nothing yet (held for the follow window)", got)
			}
			for range followWindow / (30 * time.Second) {
				res = e.step()
			}
			want := checks{succeeded: 1, observed: 1, sum: 65}
			if got := res.checks(cdA); got != want {
				t.Errorf("after the follow window: %+v, want %+v", got, want)
			}
			for range 4 {
				res = e.step()
			}
			if got := res.checks(cdA); got != want {
				t.Errorf("later: %+v, want %+v", got, want)
			}
			if got := e.sim.CheckRecordRequests(cdA); got != 1 {
				t.Errorf("%d history calls, want 1", got)
			}
			if got := res.checks(cdB); got != (checks{observed: 1, sum: 65}) {
				t.Errorf("cdB, which ran no check: %+v", got) // the histogram is shared; its counts are not
			}
		})
	}
}

// A queued check moves last_check_time (at the trigger, under the start
// reading) while progress still shows the last result: it is counted once,
// when it ends, with its own result — not also as a check with the last
// result.
func TestHistoryQueuedCheckCountedOnce(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			e := newCDEnv(t, m.mode, true)
			for range 3 {
				e.step()
			}
			e.sim.SetCheckQueue(2 * time.Minute)
			e.sim.StartCheck(cdA)
			for range 6 {
				e.step()
			}
			e.sim.FinishCheck(cdA, false)
			var res scrapeResult
			for range 2 * followWindow / (30 * time.Second) {
				res = e.step()
			}
			want := checks{failed: 1, observed: 1, sum: 180}
			if got := res.checks(cdA); got != want {
				t.Errorf("%+v, want %+v", got, want)
			}
			if got := e.sim.CheckRecordRequests(cdA); got != 1 {
				t.Errorf("%d history calls, want 1", got)
			}
		})
	}
}
