package collector

import (
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit/stdkit"
)

const (
	histProject = "4444aaaa4444aaaa4444aaaa4444aaaa"
	histTask    = "a1"
)

// histEnv is an exporter of the task histTask (of histProject, which the
// configuration names unless noProject) in front of a simulator, both on
// clock; the task's last check succeeded.
type histEnv struct {
	*testEnv
	clock *stdkit.Clock
}

func newHistEnv(t *testing.T, noProject bool, edit func(*config.Config)) *histEnv {
	t.Helper()
	clock := stdkit.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	sim := simulator.New(simulator.Options{Now: clock.Now})
	sim.AddProject(histProject)
	sim.SetTask(simulator.Task{ID: histTask, ProjectID: histProject, Status: simulator.IntPtr(2),
		Ratio: simulator.StrPtr("100%"), Info: simulator.StrPtr("success")})
	return attachHistEnv(t, sim, clock, noProject, edit)
}

// attachHistEnv starts an exporter (a new Scraper: a restart) in front of
// sim.
func attachHistEnv(t *testing.T, sim *simulator.Server, clock *stdkit.Clock, noProject bool, edit func(*config.Config)) *histEnv {
	t.Helper()
	env := newTestEnv(t, sim, []string{histTask}, func(c *config.Config) {
		if !noProject {
			c.Tasks[0].ProjectID = histProject
		}
		if edit != nil {
			edit(c)
		}
	})
	env.coll.now = clock.Now
	return &histEnv{testEnv: env, clock: clock}
}

// step moves the clock by d and scrapes.
func (e *histEnv) step(d time.Duration) scrapeResult {
	e.t.Helper()
	e.clock.Advance(d)
	return e.scrape(0)
}

// run runs a check of histTask that starts now and ends after d with
// result succeeded or failed.
func (e *histEnv) run(d time.Duration, succeeded bool) {
	e.sim.StartCheck(histTask)
	e.clock.Advance(d)
	e.sim.FinishCheck(histTask, succeeded)
}

// checks are the checks_total of a task by result, and the histogram's
// count and sum.
type checks struct {
	failed, stopped, succeeded, unknown float64
	observed                            uint64
	sum                                 float64
}

func (r scrapeResult) checks(id string) checks {
	r.t.Helper()
	var c checks
	for _, x := range []struct {
		result string
		v      *float64
	}{{"failed", &c.failed}, {"stopped", &c.stopped}, {"succeeded", &c.succeeded}, {"unknown", &c.unknown}} {
		*x.v = r.mustValue("codearts_check_task_checks_total", "task_id", id, "result", x.result)
	}
	mf := r.families["codearts_check_check_duration_seconds"]
	if mf == nil || len(mf.GetMetric()) != 1 {
		r.t.Fatalf("codearts_check_check_duration_seconds: want one histogram, got %v", mf)
	}
	h := mf.GetMetric()[0].GetHistogram()
	c.observed, c.sum = h.GetSampleCount(), h.GetSampleSum()
	return c
}

func (e *histEnv) wantChecks(when string, res scrapeResult, want checks) {
	e.t.Helper()
	if got := res.checks(histTask); got != want {
		e.t.Errorf("%s: checks %+v, want %+v", when, got, want)
	}
}

func (e *histEnv) wantReads(when string, n int) {
	e.t.Helper()
	if got := e.sim.CheckRecordRequests(histTask); got != n {
		e.t.Errorf("%s: %d history calls, want %d", when, got, n)
	}
}

// A check that starts and ends between two scrapes is counted once, with
// its result and its duration, by one history read; the older checks of
// the history (before the first answer) are not counted.
func TestHistoryCheckBetweenScrapes(t *testing.T) {
	e := newHistEnv(t, false, nil)
	e.wantChecks("baseline", e.scrape(0), checks{})
	e.wantReads("baseline", 0)

	e.clock.Advance(10 * time.Second)
	e.run(5*time.Minute, false)
	res := e.step(20 * time.Second)
	e.wantChecks("after the check", res, checks{failed: 1, observed: 1, sum: 300})
	if got := res.mustValue("codearts_check_task_last_check_duration_seconds", "task_id", histTask); got != 300 {
		t.Errorf("last_check_duration = %v, want 300", got)
	}
	e.wantReads("after the check", 1)
	if got, want := e.sim.LastCheckRecordQuery(histTask).Get("start_time"), "2026-02-28T12:00:00Z"; got != want {
		t.Errorf("the first read asks from %s, want %s (the baseline less a day)", got, want)
	}
	for range 3 {
		res = e.step(30 * time.Second)
	}
	e.wantChecks("steady scrapes", res, checks{failed: 1, observed: 1, sum: 300})
	e.wantReads("steady scrapes", 1)
}

// Two checks between two scrapes: the latest takes the result progress
// shows, the other is unknown; both durations are observed. The next read
// asks from the latest check counted.
func TestHistoryTwoChecksBetweenScrapes(t *testing.T) {
	e := newHistEnv(t, false, nil)
	e.scrape(0)
	e.run(2*time.Minute, true)
	e.clock.Advance(time.Minute)
	e.run(4*time.Minute, false)
	res := e.step(10 * time.Second)
	e.wantChecks("two checks", res, checks{failed: 1, unknown: 1, observed: 2, sum: 360})
	if got := res.mustValue("codearts_check_task_last_check_duration_seconds", "task_id", histTask); got != 240 {
		t.Errorf("last_check_duration = %v, want 240 (the latest check's)", got)
	}
	secondStart := e.clock.Now().Add(-10*time.Second - 4*time.Minute)

	e.run(time.Minute, true)
	res = e.step(10 * time.Second)
	e.wantChecks("a third check", res, checks{failed: 1, succeeded: 1, unknown: 1, observed: 3, sum: 420})
	e.wantReads("a third check", 2)
	if got, want := e.sim.LastCheckRecordQuery(histTask).Get("start_time"), secondStart.UTC().Format("2006-01-02T15:04:05Z"); got != want {
		t.Errorf("the second read asks from %s, want %s (the latest check counted)", got, want)
	}
}

// Overlapping scrapes, an HA pair's and those min_interval serves share
// the memory: a check is counted and observed once.
func TestHistoryOverlappingScrapesCountOnce(t *testing.T) {
	e := newHistEnv(t, false, func(c *config.Config) { c.MinInterval = model.Duration(20 * time.Second) })
	e.scrape(0)
	e.run(3*time.Minute, false)
	e.clock.Advance(30 * time.Second)
	e.sim.SetLatency(100 * time.Millisecond)
	var wg sync.WaitGroup
	results := make([]scrapeResult, 3)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = e.scrape(0)
		}()
	}
	wg.Wait()
	e.sim.SetLatency(0)
	results = append(results, e.step(10*time.Second)) // within min_interval
	results = append(results, e.step(30*time.Second)) // a collection of its own
	for i, res := range results {
		e.wantChecks(fmt.Sprint("scrape ", i+1), res, checks{failed: 1, observed: 1, sum: 180})
	}
	e.wantReads("after every scrape", 1)
}

// A reload that keeps the task keeps its counts and what was read: the
// checks before it are not counted again, the one after it once.
func TestHistoryReloadKeepsCounts(t *testing.T) {
	e := newHistEnv(t, false, nil)
	e.scrape(0)
	e.run(time.Minute, false)
	e.wantChecks("before the reload", e.step(10*time.Second), checks{failed: 1, observed: 1, sum: 60})
	reload := func(timeout time.Duration) {
		cfg := *e.cfg
		cfg.Timeout = model.Duration(timeout)
		e.coll.config = func() *config.Config { return &cfg }
	}
	reload(9 * time.Second)
	e.wantChecks("after the reload", e.step(10*time.Second), checks{failed: 1, observed: 1, sum: 60})
	e.run(2*time.Minute, true)
	reload(8 * time.Second)
	e.wantChecks("a check, another reload", e.step(10*time.Second), checks{failed: 1, succeeded: 1, observed: 2, sum: 180})
	e.wantReads("after both reloads", 2)
}

// History turned off and on again by reloads: the checks progress counted
// while it was off are not counted again by the first read after.
func TestHistoryTurnedOffAndOn(t *testing.T) {
	e := newHistEnv(t, false, nil)
	reload := func(on bool) {
		cfg := *e.cfg
		cfg.History.Enabled = &on
		e.coll.config = func() *config.Config { return &cfg }
	}
	e.scrape(0)
	reload(false)
	e.run(time.Minute, false)
	e.step(10 * time.Second)
	e.run(time.Minute, true)
	e.wantChecks("while off", e.step(10*time.Second), checks{failed: 1, succeeded: 1})
	reload(true)
	e.step(10 * time.Second)
	e.run(2*time.Minute, false)
	e.wantChecks("on again", e.step(10*time.Second), checks{failed: 2, succeeded: 1, observed: 1, sum: 120})
	e.wantReads("on again", 1)
}

// A restart (a new Scraper) takes a new baseline: nothing that ended
// before its first answer is counted, though its first history read lists
// those checks; what ends after it is.
func TestHistoryRestartTakesBaseline(t *testing.T) {
	e := newHistEnv(t, false, nil)
	e.scrape(0)
	e.run(time.Minute, true)
	e.run(time.Minute, false)
	e.wantChecks("first exporter", e.step(10*time.Second), checks{failed: 1, unknown: 1, observed: 2, sum: 120})

	e.clock.Advance(time.Minute)
	e2 := attachHistEnv(t, e.sim, e.clock, false, nil)
	e2.wantChecks("restarted", e2.scrape(0), checks{})
	e2.run(time.Minute, true)
	e2.wantChecks("a check after the restart", e2.step(10*time.Second), checks{succeeded: 1, observed: 1, sum: 60})
	e2.wantReads("both exporters", 2)
}

// A failed history read is counted, backs off (1 min, then 2 min) and
// loses no count: progress counted the check, and the read that
// succeeds observes its duration.
func TestHistoryReadFailureBacksOff(t *testing.T) {
	e := newHistEnv(t, false, nil)
	e.scrape(0)
	e.run(time.Minute, false)
	e.sim.SetCheckRecordDialect(simulator.CheckRecordDialect{Error: "CC.00050012"})
	res := e.step(10 * time.Second)
	e.wantChecks("failed read", res, checks{failed: 1})
	e.wantReads("failed read", 1)
	if got := res.mustValue("codearts_check_api_errors_total", "error_code", "CC.00050012"); got != 1 {
		t.Errorf("api_errors_total{CC.00050012} = %v, want 1", got)
	}
	if got := res.mustValue("codearts_check_api_requests_total", "endpoint", "check_record", "status_class", "2xx"); got != 1 {
		t.Errorf("api_requests_total{check_record} = %v, want 1", got)
	}
	e.step(30 * time.Second)
	e.wantReads("30 s later", 1)
	e.step(30 * time.Second)
	e.wantReads("a minute later", 2)
	e.step(time.Minute)
	e.wantReads("a minute after the second failure", 2)
	e.sim.SetCheckRecordDialect(simulator.CheckRecordDialect{})
	res = e.step(time.Minute)
	e.wantReads("two minutes after the second failure", 3)
	e.wantChecks("the read that succeeded", res, checks{failed: 1, observed: 1, sum: 60})
	if got := res.mustValue("codearts_check_api_errors_total", "error_code", "CC.00050012"); got != 2 {
		t.Errorf("api_errors_total{CC.00050012} = %v, want 2", got)
	}
}

// A refused read (no permission) is logged once per task with its code,
// and asked again only after an hour; the counts go on from progress.
func TestHistoryRefusedLoggedOnce(t *testing.T) {
	e := newHistEnv(t, false, nil)
	var logs testkit.Buffer
	e.coll.logger = slog.New(slog.NewTextHandler(&logs, nil))
	e.sim.SetCheckRecordDialect(simulator.CheckRecordDialect{Error: "CC.00050010"})
	e.scrape(0)
	e.run(time.Minute, false)
	e.step(10 * time.Second)
	e.run(time.Minute, true)
	e.wantChecks("two checks, refused", e.step(10*time.Second), checks{failed: 1, succeeded: 1})
	e.wantReads("within the hour", 1)
	e.clock.Advance(time.Hour)
	e.run(time.Minute, false)
	e.wantChecks("a third check, refused", e.step(10*time.Second), checks{failed: 2, succeeded: 1})
	e.wantReads("after the hour", 2)
	if n := strings.Count(logs.String(), "task check history refused"); n != 1 {
		t.Errorf("%d refusals logged, want 1:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), "error_code=CC.00050010") || !strings.Contains(logs.String(), "codeartscheck:task:get") {
		t.Errorf("the refusal's log names no code or permission:\n%s", logs.String())
	}
}

// With history.enabled off, or no project, no history call is made and
// progress alone counts: the check it sees, not the one before it, and no
// duration.
func TestHistoryOffOrNoProject(t *testing.T) {
	off := false
	for _, c := range []struct {
		name      string
		noProject bool
		edit      func(*config.Config)
	}{
		{"history off", false, func(c *config.Config) { c.History.Enabled = &off }},
		{"no project", true, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newHistEnv(t, c.noProject, c.edit)
			e.scrape(0)
			e.run(time.Minute, true)
			e.run(time.Minute, false)
			res := e.step(10 * time.Second)
			e.wantChecks("two checks", res, checks{failed: 1})
			if v, ok := res.value("codearts_check_task_last_check_duration_seconds", "task_id", histTask); ok {
				t.Errorf("last_check_duration = %v, want none", v)
			}
			e.run(time.Minute, true)
			e.wantChecks("a third", e.step(10*time.Second), checks{failed: 1, succeeded: 1})
			e.wantReads("all along", 0)
		})
	}
}

// Every dialect of reference §7 (times in UTC or Beijing time, a running
// check without an end or with an empty one, data unsorted, offsets from 0,
// from 1 or counting records) gives the same counts and durations.
func TestHistoryDialects(t *testing.T) {
	for name, d := range map[string]simulator.CheckRecordDialect{
		"documented": {},
		"beijing":    {Beijing: true},
		"empty end":  {EmptyEnd: true},
		"unsorted":   {Unsorted: true},
		"offset 1":   {Offset: simulator.OffsetPage1},
		"items":      {Offset: simulator.OffsetItems},
		"all":        {Beijing: true, EmptyEnd: true, Unsorted: true, Offset: simulator.OffsetPage1},
	} {
		t.Run(name, func(t *testing.T) {
			e := newHistEnv(t, false, nil)
			e.sim.SetCheckRecordDialect(d)
			e.scrape(0)
			e.run(2*time.Minute, true)
			e.run(3*time.Minute, true)
			e.run(4*time.Minute, false)
			// A check queued after them: progress still shows the last
			// result, the history lists it running.
			e.sim.SetCheckQueue(10 * time.Minute)
			e.sim.StartCheck(histTask)
			res := e.step(10 * time.Second)
			e.wantChecks("three checks and one running", res, checks{failed: 1, unknown: 2, observed: 3, sum: 540})
			e.clock.Advance(10 * time.Minute)
			e.sim.FinishCheck(histTask, true)
			res = e.step(10 * time.Second)
			e.wantChecks("the running one ended", res, checks{failed: 1, succeeded: 1, unknown: 2, observed: 4, sum: 540 + 610})
			e.wantReads("two reveals", 2)
		})
	}
}

// A check that ends after the progress answers came and before the
// history read is not taken by that read: the next answer reveals it, with
// its result, and it is not counted unknown as well.
func TestHistoryCheckEndingDuringTheScrape(t *testing.T) {
	e := newHistEnv(t, false, func(c *config.Config) { c.Concurrency = 1 })
	e.scrape(0)
	e.run(time.Minute, false)
	ran := false
	e.coll.testHookAfterCall = func(c call) {
		// The report read goes before the history read, one at a time.
		if c.kind == reportCall && !ran {
			ran = true
			e.run(2*time.Minute, true)
		}
	}
	e.wantChecks("the first check", e.step(10*time.Second), checks{failed: 1, observed: 1, sum: 60})
	if !ran {
		t.Fatal("no report read ran the second check")
	}
	e.wantChecks("the second check", e.step(10*time.Second), checks{failed: 1, succeeded: 1, observed: 2, sum: 180})
	e.wantReads("two reveals", 2)
}
