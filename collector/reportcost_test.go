package collector

import (
	"math"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/codearts"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
)

// Failed report reads back off per task: 1 m, 2 m, 4 m ... up to
// refresh_interval, with no retry within a read, whether the call is
// throttled, busy or answered with something that is not a report. Over an
// hour of scrapes a minute apart (stdkit.Clock), a failing task costs 6
// reads (at 0, 1, 3, 7, 15 and 31 minutes), one call each: the statistic
// call fails, so the summary is not asked.
func TestFailedReportReadsBackOff(t *testing.T) {
	faults := []simulator.FaultKind{simulator.FaultThrottled, simulator.FaultRetryLater, simulator.FaultInvalidJSON}
	const perFault = 2
	sim := simulator.New(simulator.Options{})
	var ids []string
	for _, f := range faults {
		for range perFault {
			id := taskID(len(ids))
			ids = append(ids, id)
			sim.SetTask(simulator.Task{ID: id, Status: simulator.IntPtr(2)})
			sim.SetReportFault(id, simulator.Fault{Kind: f})
		}
	}
	env := newTestEnv(t, sim, ids, func(c *config.Config) { c.Quality.RefreshInterval = model.Duration(time.Hour) })
	clock := newFakeClock(env)
	for minute := 0; minute < 60; minute++ {
		res := env.scrape(0)
		for _, id := range ids {
			if got := res.mustValue("codearts_check_task_query_success", "task_id", id); got != 1 {
				t.Fatalf("minute %d: %s query_success = %v: a failing report must not touch progress", minute, id, got)
			}
		}
		clock.Advance(time.Minute)
	}
	for i, id := range ids {
		if got := sim.ReportRequests(id); got != 6 {
			t.Errorf("%s (%v): %d report calls in an hour, want 6", id, faults[i/perFault], got)
		}
	}
	t.Logf("report calls per failing task per hour: %d (500 tasks: %d/h)", sim.ReportRequests(ids[0]), 500*sim.ReportRequests(ids[0]))
}

func TestReadBackoff(t *testing.T) {
	for _, tc := range []struct {
		n       int
		refresh time.Duration
		want    time.Duration
	}{
		{1, time.Hour, time.Minute},
		{2, time.Hour, 2 * time.Minute},
		{3, time.Hour, 4 * time.Minute},
		{6, time.Hour, 32 * time.Minute},
		{7, time.Hour, time.Hour},
		{1000, time.Hour, time.Hour},
		{3, 3 * time.Minute, 3 * time.Minute},
		{1, 10 * time.Second, time.Minute}, // never below failedReadRetry
	} {
		if got := readBackoff(tc.n, tc.refresh); got != tc.want {
			t.Errorf("readBackoff(%d, %v) = %v, want %v", tc.n, tc.refresh, got, tc.want)
		}
	}
}

// A report endpoint that never answers cannot hold the scrape: each report
// call has its own timeout. The collection's deadline here is an hour, so
// the scrape returning at all shows that the report call's timeout, not
// the deadline, ended it; the progress answers are served, and the
// failed read counts as a timeout.
func TestHangingReportDoesNotHoldTheScrape(t *testing.T) {
	old := reportCallTimeout
	reportCallTimeout = 200 * time.Millisecond
	t.Cleanup(func() { reportCallTimeout = old })
	sim := simulator.New(simulator.Options{})
	ids := addTasks(sim, 4, simulator.Task{Status: simulator.IntPtr(2)})
	sim.SetReportFault(ids[0], simulator.Fault{Kind: simulator.FaultHang})
	env := newTestEnv(t, sim, ids, func(c *config.Config) { c.Timeout = model.Duration(time.Hour) })
	res := env.scrape(0)
	for _, id := range ids {
		if got := res.mustValue("codearts_check_task_query_success", "task_id", id); got != 1 {
			t.Errorf("%s: query_success = %v, want 1", id, got)
		}
	}
	if _, ok := res.value("codearts_check_task_quality_last_success_timestamp_seconds", "task_id", ids[0]); ok {
		t.Errorf("%s: a report is served although its read hung", ids[0])
	}
	res.mustValue("codearts_check_task_quality_last_success_timestamp_seconds", "task_id", ids[1])
	if got, _ := res.value("codearts_check_api_errors_total", "error_code", "timeout"); got != 1 {
		t.Errorf("api_errors_total{timeout} = %v, want 1", got)
	}
}

// Times are exported exactly, whole seconds plus the fraction, also past
// the year 2262 where UnixNano wraps; never negative.
func TestUnixSeconds(t *testing.T) {
	farFuture := time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
	if got, want := unixSeconds(farFuture), 253402300799.0; got != want {
		t.Errorf("unixSeconds(%v) = %v, want %v", farFuture, got, want)
	}
	half := time.Date(2026, 3, 1, 12, 0, 0, 5e8, time.UTC)
	if got, want := unixSeconds(half), 1772366400.5; got != want {
		t.Errorf("unixSeconds(%v) = %v, want %v", half, got, want)
	}
	for _, tm := range []time.Time{{}, time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC)} {
		if got := unixSeconds(tm); got != 0 {
			t.Errorf("unixSeconds(%v) = %v, want 0", tm, got)
		}
		v := newReportValues(codearts.Report{Statistic: codearts.DefectsStatistic{LastCheckStart: tm, LastCheckEnd: tm}}, tm)
		if v != nil && v.has&(hasCheckStart|hasCheckEnd) != 0 {
			t.Errorf("check time %v exported", tm)
		}
	}
	v := newReportValues(codearts.Report{Statistic: codearts.DefectsStatistic{LastCheckStart: farFuture, LastCheckEnd: farFuture}},
		farFuture)
	for _, got := range []float64{v.checkStart, v.checkEnd} {
		if v.has&(hasCheckStart|hasCheckEnd) != hasCheckStart|hasCheckEnd || got <= 0 || math.IsInf(got, 0) {
			t.Errorf("check time %v exported as %v (has %b)", farFuture, got, v.has)
		}
	}
}

// A far-future check time from the API comes out as itself.
func TestFarFutureCheckTime(t *testing.T) {
	farFuture := time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
	sim := simulator.New(simulator.Options{})
	sim.SetTask(simulator.Task{ID: "a1", Status: simulator.IntPtr(2)})
	sim.SetReport("a1", simulator.Report{CheckStart: farFuture, CheckEnd: farFuture, IsAccess: "1"})
	env := newTestEnv(t, sim, []string{"a1"}, nil)
	res := env.scrape(0)
	for _, name := range []string{"codearts_check_task_last_check_start_timestamp_seconds", "codearts_check_task_last_check_end_timestamp_seconds"} {
		if got := res.mustValue(name, "task_id", "a1"); got != float64(farFuture.Unix()) {
			t.Errorf("%s = %v, want %v", name, got, float64(farFuture.Unix()))
		}
	}
}
