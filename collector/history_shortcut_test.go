package collector

import (
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit/stdkit"
)

// The history read is an accelerator (it finds the checks no progress
// answer showed, and the durations), never a gate: hanging, throttled or
// lying, every task keeps its answer and every check progress revealed is
// counted, as with history.enabled off.

// newHistPair is histEnv's exporter with a second task of histProject,
// "b2", whose history answers normally; histTask's last check succeeded,
// b2's failed, so that the checks of runBoth each show a new result. The
// histogram (checks' observed, sum) is both tasks'.
func newHistPair(t *testing.T, edit func(*config.Config)) *histEnv {
	t.Helper()
	clock := stdkit.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	sim := simulator.New(simulator.Options{Now: clock.Now})
	sim.AddProject(histProject)
	sim.SetTask(simulator.Task{ID: histTask, ProjectID: histProject, Status: simulator.IntPtr(2),
		Ratio: simulator.StrPtr("100%"), Info: simulator.StrPtr("success")})
	sim.SetTask(simulator.Task{ID: "b2", ProjectID: histProject, Status: simulator.IntPtr(1)})
	env := newTestEnv(t, sim, []string{histTask, "b2"}, func(c *config.Config) {
		for i := range c.Tasks {
			c.Tasks[i].ProjectID = histProject
		}
		if edit != nil {
			edit(c)
		}
	})
	env.coll.now = clock.Now
	return &histEnv{testEnv: env, clock: clock}
}

// runBoth runs a check of each task, histTask failing and b2 succeeding,
// each d long.
func (e *histEnv) runBoth(d time.Duration) {
	e.sim.StartCheck(histTask)
	e.sim.StartCheck("b2")
	e.clock.Advance(d)
	e.sim.FinishCheck(histTask, false)
	e.sim.FinishCheck("b2", true)
}

// A hanging history read costs its own read, never a count nor another
// task's answer: the revealed check is counted from progress, the other
// task's read goes on, the hang is a timeout, and the read is made again
// after its back-off.
func TestHistoryHangingReadIsNoGate(t *testing.T) {
	old := historyReadTimeout
	historyReadTimeout = 200 * time.Millisecond
	t.Cleanup(func() { historyReadTimeout = old })
	e := newHistPair(t, func(c *config.Config) { c.Timeout = model.Duration(time.Hour) })
	e.scrape(0)
	e.sim.SetCheckRecordFault(histTask, simulator.Fault{Kind: simulator.FaultHang})
	e.runBoth(2 * time.Minute)
	res := e.step(10 * time.Second)
	for _, id := range []string{histTask, "b2"} {
		if got := res.mustValue("codearts_check_task_query_success", "task_id", id); got != 1 {
			t.Errorf("%s: query_success %v, want 1", id, got)
		}
	}
	if got := res.checks(histTask); got.failed != 1 || got.unknown != 0 {
		t.Errorf("%s, its read hanging: checks %+v, want the failed check progress showed", histTask, got)
	}
	if got := res.checks("b2"); got.succeeded != 1 || got.observed != 1 || got.sum != 120 {
		t.Errorf("b2, beside a hanging read: checks %+v, want its check counted and observed once", got)
	}
	if got := res.mustValue("codearts_check_api_errors_total", "error_code", "timeout"); got != 1 {
		t.Errorf("api_errors_total{timeout} = %v, want 1 (the hung read)", got)
	}

	e.sim.SetCheckRecordFault(histTask, simulator.Fault{})
	res = e.step(30 * time.Second)
	e.wantReads("within the back-off", 1)
	res = e.step(time.Minute)
	e.wantReads("after the back-off", 2)
	if got := res.checks(histTask); got.failed != 1 || got.unknown != 0 || got.observed != 2 || got.sum != 240 {
		t.Errorf("%s after the read that answered: checks %+v, want failed 1 and both durations observed", histTask, got)
	}
}

// A throttled history read is counted under its code and made again later;
// the revealed check is counted at once, and only once.
func TestHistoryThrottledReadIsNoGate(t *testing.T) {
	e := newHistPair(t, nil)
	e.scrape(0)
	e.sim.SetCheckRecordFault(histTask, simulator.Fault{Kind: simulator.FaultThrottled, Times: 1})
	e.runBoth(time.Minute)
	res := e.step(10 * time.Second)
	if got := res.checks(histTask); got.failed != 1 || got.observed != 1 {
		t.Errorf("%s, its read throttled: checks %+v, want failed 1, and b2's duration alone observed", histTask, got)
	}
	if got := res.checks("b2"); got.succeeded != 1 || got.observed != 1 {
		t.Errorf("b2: checks %+v, want succeeded 1, observed", got)
	}
	if got := res.mustValue("codearts_check_api_errors_total", "error_code", "APIGW.0308"); got != 1 {
		t.Errorf("api_errors_total{APIGW.0308} = %v, want 1", got)
	}
	res = e.step(2 * time.Minute)
	if got := res.checks(histTask); got.failed != 1 || got.unknown != 0 || got.observed != 2 {
		t.Errorf("%s after the read went through: checks %+v, want failed 1 and its duration observed", histTask, got)
	}
}

// A history that lies — it does not list the check progress showed — costs
// nothing progress counted: the check stays counted once, with its result,
// and no phantom unknown appears.
func TestHistoryWithoutTheRevealedCheckIsNoGate(t *testing.T) {
	e := newHistPair(t, nil)
	e.scrape(0)
	// The check ends as far as progress can see, but the service's history
	// has no record of it: a status set without StartCheck/FinishCheck.
	e.sim.SetTask(simulator.Task{ID: histTask, ProjectID: histProject, Status: simulator.IntPtr(1)})
	res := e.step(30 * time.Second)
	if got := res.checks(histTask); got.failed != 1 || got.unknown != 0 || got.observed != 0 {
		t.Errorf("a check missing from the history: checks %+v, want failed 1, no unknown, nothing observed", got)
	}
	for range 3 {
		res = e.step(30 * time.Second)
	}
	if got := res.checks(histTask); got.failed != 1 || got.unknown != 0 {
		t.Errorf("later scrapes: checks %+v, want still failed 1 and no unknown", got)
	}
	if got := res.mustValue("codearts_check_task_query_success", "task_id", histTask); got != 1 {
		t.Errorf("query_success %v, want 1", got)
	}
}
