package collector

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit/stdkit"
)

// newFakeClock gives the report bookkeeping a clock the test moves.
func newFakeClock(env *testEnv) *stdkit.Clock {
	c := stdkit.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	env.coll.now = c.Now // before the first scrape: nothing reads it yet
	return c
}

// reportFamilies are the families of the report series.
var reportFamilies = []string{"codearts_check_task_defects", "codearts_check_task_defects_by_status",
	"codearts_check_task_last_check_start_timestamp_seconds", "codearts_check_task_last_check_end_timestamp_seconds",
	"codearts_check_task_code_lines", "codearts_check_task_duplication_ratio", "codearts_check_task_comment_ratio",
	"codearts_check_task_quality_gate_passed", "codearts_check_task_quality_last_success_timestamp_seconds"}

// A report's values come out as their series whichever shape the summary
// has; what the API leaves out is absent, not 0; the summary's task name
// and branch fill task_info where the configuration gives none.
func TestReportSeriesBothShapes(t *testing.T) {
	start := time.Date(2026, 2, 27, 9, 30, 0, 0, time.UTC)
	full := simulator.Report{Critical: 3, Major: 5, Minor: 7, Suggestion: 11, Unresolved: 26, Resolved: 9, Dismissed: 2,
		CheckStart: start, CheckEnd: start.Add(7 * time.Minute), CodeLines: 12345, CodeLinesTotal: 15000,
		DuplicationRatio: "3.25%", CommentRatio: "12.5%", IsAccess: "0"}
	for _, shape := range []simulator.SummaryShape{simulator.SummarySchema, simulator.SummaryExample} {
		t.Run([]string{"schema", "example"}[shape], func(t *testing.T) {
			sim := simulator.New(simulator.Options{})
			sim.SetSummaryShape(shape)
			sim.SetTask(simulator.Task{ID: "a1", Name: "checkout", GitBranch: "main", Status: simulator.IntPtr(2)})
			sim.SetTask(simulator.Task{ID: "b2", Name: "not-this", GitBranch: "dev", Status: simulator.IntPtr(2)})
			sim.SetTask(simulator.Task{ID: "c3", Status: simulator.IntPtr(1)})
			sim.SetReport("a1", full)
			sim.SetReport("b2", simulator.Report{Critical: 1, IsAccess: "1", CodeLines: 10})
			sim.SetReport("c3", simulator.Report{}) // no times, no ratios, no verdict
			env := newTestEnv(t, sim, []string{"a1", "b2", "c3"}, func(c *config.Config) { c.Tasks[1].Name = "given" })
			clock := newFakeClock(env)
			res := env.scrape(0)

			want := map[string]float64{"critical": 3, "major": 5, "minor": 7, "suggestion": 11}
			for sev, v := range want {
				if got := res.mustValue("codearts_check_task_defects", "task_id", "a1", "severity", sev); got != v {
					t.Errorf("defects{a1,%s} = %v, want %v", sev, got, v)
				}
			}
			for status, v := range map[string]float64{"unresolved": 26, "resolved": 9, "dismissed": 2} {
				if got := res.mustValue("codearts_check_task_defects_by_status", "task_id", "a1", "status", status); got != v {
					t.Errorf("defects_by_status{a1,%s} = %v, want %v", status, got, v)
				}
			}
			for name, v := range map[string]float64{
				"codearts_check_task_last_check_start_timestamp_seconds":     float64(start.Unix()),
				"codearts_check_task_last_check_end_timestamp_seconds":       float64(start.Add(7 * time.Minute).Unix()),
				"codearts_check_task_code_lines":                             12345,
				"codearts_check_task_duplication_ratio":                      0.0325,
				"codearts_check_task_comment_ratio":                          0.125,
				"codearts_check_task_quality_gate_passed":                    0,
				"codearts_check_task_quality_last_success_timestamp_seconds": float64(clock.Now().Unix()),
			} {
				if got := res.mustValue(name, "task_id", "a1"); got != v {
					t.Errorf("%s{a1} = %v, want %v", name, got, v)
				}
			}
			if got := res.mustValue("codearts_check_task_quality_gate_passed", "task_id", "b2"); got != 1 {
				t.Errorf("quality_gate_passed{b2} = %v, want 1", got)
			}
			// c3's report gives no times, ratios or verdict: absent.
			for _, name := range []string{"codearts_check_task_last_check_start_timestamp_seconds",
				"codearts_check_task_last_check_end_timestamp_seconds", "codearts_check_task_duplication_ratio",
				"codearts_check_task_comment_ratio", "codearts_check_task_quality_gate_passed"} {
				if v, ok := res.value(name, "task_id", "c3"); ok {
					t.Errorf("%s{c3} = %v, want no series: the API gave none", name, v)
				}
			}
			if got := res.mustValue("codearts_check_task_defects", "task_id", "c3", "severity", "critical"); got != 0 {
				t.Errorf("defects{c3,critical} = %v, want 0 (the API said 0)", got)
			}
			res.mustValue("codearts_check_task_info", "task_id", "a1", "task_name", "checkout", "git_branch", "main")
			res.mustValue("codearts_check_task_info", "task_id", "b2", "task_name", "given", "git_branch", "dev")
			res.mustValue("codearts_check_task_info", "task_id", "c3", "task_name", "", "git_branch", "")
		})
	}
}

// When reports are read: at first sight; after a check finished (status
// left 0, or changed to another result between two scrapes); after
// refresh_interval; never on a steady scrape.
func TestReportReadRules(t *testing.T) {
	sim := simulator.New(simulator.Options{})
	sim.SetTask(simulator.Task{ID: "a1", Status: simulator.IntPtr(0), Ratio: simulator.StrPtr("10%")})
	sim.SetTask(simulator.Task{ID: "b2", Status: simulator.IntPtr(2)})
	env := newTestEnv(t, sim, []string{"a1", "b2"}, nil)
	clock := newFakeClock(env)
	reads := func(when string, a1, b2 int) {
		t.Helper()
		if got := sim.ReportRequests("a1"); got != 2*a1 {
			t.Errorf("%s: report calls for a1 = %d, want %d (%d reads)", when, got, 2*a1, a1)
		}
		if got := sim.ReportRequests("b2"); got != 2*b2 {
			t.Errorf("%s: report calls for b2 = %d, want %d (%d reads)", when, got, 2*b2, b2)
		}
	}
	critical := func(res scrapeResult, when string) {
		t.Helper()
		rep, _ := sim.Report("a1")
		if got := res.mustValue("codearts_check_task_defects", "task_id", "a1", "severity", "critical"); got != float64(rep.Critical) {
			t.Errorf("%s: defects{a1,critical} = %v, the API's report says %d", when, got, rep.Critical)
		}
	}

	critical(env.scrape(0), "first sight")
	reads("first sight", 1, 1)
	for range 3 {
		env.scrape(0)
	}
	reads("steady scrapes", 1, 1)

	// 0 -> 1: the check a1 was running finished.
	sim.FinishCheck("a1", false)
	critical(env.scrape(0), "after a1's check finished")
	reads("after a1's check finished", 2, 1)
	env.scrape(0)
	reads("a scrape after that", 2, 1)

	// 1 -> 2 with no 0 seen: a whole check ran between two scrapes.
	sim.FinishCheck("a1", true)
	critical(env.scrape(0), "after a check between scrapes")
	reads("after a check between scrapes", 3, 1)

	// refresh_interval after each task's last read, and not before.
	clock.Advance(time.Duration(env.cfg.Quality.RefreshInterval) - time.Second)
	env.scrape(0)
	reads("just before refresh_interval", 3, 1)
	clock.Advance(time.Second)
	env.scrape(0)
	reads("at refresh_interval", 4, 2)
	env.scrape(0)
	reads("after the refresh", 4, 2)
}

// A refused report is counted, logged once per task with the permission
// to grant, and not asked for again before refresh_interval, even when a
// check finishes; progress goes on.
func TestReportRefused(t *testing.T) {
	sim := simulator.New(simulator.Options{})
	for _, id := range []string{"a1", "b2", "c3"} {
		sim.SetTask(simulator.Task{ID: id, Status: simulator.IntPtr(2)})
	}
	sim.DenyReports("a1", simulator.DenyPermission)
	sim.DenyReports("b2", simulator.DenyForbidden)
	env := newTestEnv(t, sim, []string{"a1", "b2", "c3"}, nil)
	clock := newFakeClock(env)
	var logs testkit.Buffer
	env.coll.logger = slog.New(slog.NewTextHandler(&logs, nil))

	check := func(when string, a1Calls int, logged int) scrapeResult {
		t.Helper()
		res := env.scrape(0)
		for _, id := range []string{"a1", "b2", "c3"} {
			if got := res.mustValue("codearts_check_task_query_success", "task_id", id); got != 1 {
				t.Errorf("%s: query_success{%s} = %v, want 1: a refused report must not touch progress", when, id, got)
			}
		}
		if got := sim.ReportRequests("a1"); got != a1Calls {
			t.Errorf("%s: report calls for a1 = %d, want %d", when, got, a1Calls)
		}
		text := logs.String()
		if n := strings.Count(text, "task_id=a1 permission=codeartscheck:task:getReport"); n != logged {
			t.Errorf("%s: a1's refusal logged %d times, want %d:\n%s", when, n, logged, text)
		}
		return res
	}
	res := check("first sight", 1, 1) // the statistic call is refused; the summary is not asked
	if got := res.mustValue("codearts_check_api_errors_total", "error_code", "CC.00050010"); got != 1 {
		t.Errorf("api_errors_total{CC.00050010} = %v, want 1", got)
	}
	if !strings.Contains(logs.String(), "task_id=b2 permission=codeartscheck:task:getReport") {
		t.Errorf("b2's 403 is not logged with the permission:\n%s", logs.String())
	}
	for _, name := range reportFamilies {
		if _, ok := res.value(name, "task_id", "a1"); ok {
			t.Errorf("%s{a1} exists, but a1's report was refused", name)
		}
	}
	res.mustValue("codearts_check_task_quality_gate_passed", "task_id", "c3")

	sim.FinishCheck("a1", false) // would call for a read, but a1 was refused
	check("a check finished", 1, 1)
	clock.Advance(time.Duration(env.cfg.Quality.RefreshInterval))
	res = check("refresh_interval later", 2, 1)
	if got := res.mustValue("codearts_check_api_errors_total", "error_code", "CC.00050010"); got != 2 {
		t.Errorf("api_errors_total{CC.00050010} = %v, want 2", got)
	}

	sim.DenyReports("a1", simulator.DenyNone)
	clock.Advance(time.Duration(env.cfg.Quality.RefreshInterval))
	res = check("granted", 4, 1)
	res.mustValue("codearts_check_task_defects", "task_id", "a1", "severity", "critical")
}

// With a budget that fits every progress query but not every report read,
// each scrape makes all its progress queries first and reads reports with
// what is left, stalest first; the reads left over wait, uncounted, and
// every report is read within a few scrapes.
func TestReportReadsUseWhatProgressLeaves(t *testing.T) {
	verifyNoLeaks(t)
	const (
		tasks   = 30
		budget  = 25
		timeout = 2 * time.Second
	)
	sim := simulator.New(simulator.Options{})
	ids := make([]string, tasks)
	for i := range ids {
		ids[i] = taskID(i)
		sim.SetTask(simulator.Task{ID: ids[i], Status: simulator.IntPtr(2)})
	}
	// Progress takes 30 of the ~50 tokens a scrape has; 60 report calls
	// need three scrapes' leftovers at least.
	env := newTestEnv(t, sim, ids, func(c *config.Config) {
		c.MaxRequestsPerSecond = budget
		c.Timeout = model.Duration(timeout)
	})
	for scrapes := 1; ; scrapes++ {
		res := env.scrape(0)
		// The collection's own duration: the test's wall clock would also
		// hold whatever else the loaded machine runs.
		if d := res.mustValue("codearts_check_scrape_duration_seconds"); d > (timeout + time.Second).Seconds() {
			t.Errorf("scrape %d: the collection took %.2fs with a %v timeout", scrapes, d, timeout)
		}
		read, most, never := 0, 0, 0
		for _, id := range ids {
			if got := sim.TaskRequests(id); got != scrapes {
				t.Fatalf("scrape %d: %d progress queries for %s, want one per scrape", scrapes, got, id)
			}
			if _, ok := res.value("codearts_check_task_quality_last_success_timestamp_seconds", "task_id", id); ok {
				read++
			}
			calls := sim.ReportRequests(id)
			most = max(most, calls)
			if calls == 0 {
				never++
			}
		}
		// A read that did not fit is never sent and not an error. One sent
		// in time can still be cut off by the deadline on a loaded machine:
		// that is a timeout, and a call the API was sent (counted without an
		// answer in api_requests_total), never a read that did not fit.
		errs := testkit.Sum(res.families, "codearts_check_api_errors_total")
		timeouts, _ := res.value("codearts_check_api_errors_total", "error_code", "timeout")
		unanswered := testkit.Sum(res.families, "codearts_check_api_requests_total", "status_class", "error")
		if errs != timeouts || timeouts > unanswered {
			t.Fatalf("scrape %d: %v API errors counted, %v of them timeouts, %v calls sent without an answer; "+
				"reads that did not fit are not errors", scrapes, errs, timeouts, unanswered)
		}
		if scrapes == 1 && read == tasks {
			t.Fatalf("every report was read in the first scrape: the budget of %d/s cannot allow that", budget)
		}
		if read == tasks {
			t.Logf("every report read after %d scrapes", scrapes)
			return
		}
		// Stalest first: no task's report is asked for a second time
		// (a read that did not fit is one call, a whole read two) while
		// another's was never asked for.
		if most > 2 && never > 0 {
			t.Fatalf("scrape %d: a task had %d report calls while %d of %d were never asked for", scrapes, most, never, tasks)
		}
		if scrapes == 8 {
			t.Fatalf("after %d scrapes only %d of %d reports were read", scrapes, read, tasks)
		}
	}
}

// quality.enabled false: no report series and no report calls; turned off
// by a reload the series go, and turned on again the reports are read
// afresh.
func TestQualityDisabled(t *testing.T) {
	sim := simulator.New(simulator.Options{})
	sim.SetTask(simulator.Task{ID: "a1", Name: "from-the-api", Status: simulator.IntPtr(2)})
	off := false
	env := newTestEnv(t, sim, []string{"a1"}, func(c *config.Config) { c.Quality.Enabled = &off })
	noReports := func(when string, res scrapeResult) {
		t.Helper()
		for _, name := range reportFamilies {
			if n := res.count(name); n != 0 {
				t.Errorf("%s: %d %s series with quality off", when, n, name)
			}
		}
		res.mustValue("codearts_check_task_info", "task_id", "a1", "task_name", "")
	}
	for range 2 {
		noReports("disabled", env.scrape(0))
	}
	if got := sim.ReportRequests(""); got != 0 {
		t.Errorf("report calls with quality off = %d, want 0", got)
	}

	// A reload turns it on, then off again.
	reload := func(on bool) {
		cfg := *env.cfg
		cfg.Quality.Enabled = &on
		env.coll.config = func() *config.Config { return &cfg }
	}
	reload(true)
	res := env.scrape(0)
	res.mustValue("codearts_check_task_defects", "task_id", "a1", "severity", "major")
	res.mustValue("codearts_check_task_info", "task_id", "a1", "task_name", "from-the-api")
	reload(false)
	noReports("reloaded off", env.scrape(0))
	reload(true)
	env.scrape(0)
	if got := sim.ReportRequests("a1"); got != 4 {
		t.Errorf("report calls = %d, want 4: read when turned on, and again when turned on again", got)
	}
}

// A task that leaves the task set loses its report series; when it comes
// back it is seen for the first time again.
func TestVanishedTaskLosesReportSeries(t *testing.T) {
	sim := simulator.New(simulator.Options{})
	for _, id := range []string{"a1", "b2"} {
		sim.SetTask(simulator.Task{ID: id, Status: simulator.IntPtr(2)})
	}
	env := newTestEnv(t, sim, []string{"unused"}, nil)
	env.coll.tasks = testkit.NewTaskList(config.Task{ID: "a1"}, config.Task{ID: "b2"})
	res := env.scrape(0)
	res.mustValue("codearts_check_task_code_lines", "task_id", "b2")

	env.coll.tasks = testkit.NewTaskList(config.Task{ID: "a1"}) // between scrapes: no collection reads it
	res = env.scrape(0)
	for _, name := range reportFamilies {
		if _, ok := res.value(name, "task_id", "b2"); ok {
			t.Errorf("%s{b2} is still served after b2 left the task set", name)
		}
	}
	res.mustValue("codearts_check_task_code_lines", "task_id", "a1")

	env.coll.tasks = testkit.NewTaskList(config.Task{ID: "a1"}, config.Task{ID: "b2"})
	env.scrape(0).mustValue("codearts_check_task_code_lines", "task_id", "b2")
	if got := sim.ReportRequests("b2"); got != 4 {
		t.Errorf("report calls for b2 = %d, want 4: read again when it came back", got)
	}
	if got := sim.ReportRequests("a1"); got != 2 {
		t.Errorf("report calls for a1 = %d, want 2: read once", got)
	}
}

// Overlapping scrapes and min_interval share one collection, and with it
// its report reads.
func TestReportReadsAreShared(t *testing.T) {
	sim := simulator.New(simulator.Options{})
	sim.SetTask(simulator.Task{ID: "a1", Status: simulator.IntPtr(0)})
	env := newTestEnv(t, sim, []string{"a1"}, func(c *config.Config) { c.MinInterval = model.Duration(time.Hour) })
	env.scrape(0)
	sim.FinishCheck("a1", true)
	for range 3 {
		env.scrape(0).mustValue("codearts_check_task_defects", "task_id", "a1", "severity", "critical")
	}
	if got := sim.ReportRequests("a1"); got != 2 {
		t.Errorf("report calls = %d, want 2: min_interval serves the first collection", got)
	}
}

// is_access in the service's other wording (success/error) is served as
// the gate's verdict; a value the exporter does not know leaves the gate
// out and is logged once per task at debug level, not on every read.
func TestQualityGateWordings(t *testing.T) {
	sim := simulator.New(simulator.Options{})
	for _, id := range []string{"ok", "bad", "odd"} {
		sim.SetTask(simulator.Task{ID: id, Status: simulator.IntPtr(2)})
	}
	sim.SetReport("ok", simulator.Report{Critical: 1, IsAccess: "success"})
	sim.SetReport("bad", simulator.Report{Critical: 1, IsAccess: "error"})
	sim.SetReport("odd", simulator.Report{Critical: 1, IsAccess: "maybe"})
	env := newTestEnv(t, sim, []string{"ok", "bad", "odd"}, func(c *config.Config) {
		c.Quality.RefreshInterval = model.Duration(5 * time.Minute)
	})
	logs := &testkit.Buffer{}
	env.coll.logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	clock := newFakeClock(env)

	for read := range 2 {
		res := env.scrape(0)
		if got := res.mustValue("codearts_check_task_quality_gate_passed", "task_id", "ok"); got != 1 {
			t.Errorf("read %d: gate{ok} (is_access success) = %v, want 1", read, got)
		}
		if got := res.mustValue("codearts_check_task_quality_gate_passed", "task_id", "bad"); got != 0 {
			t.Errorf("read %d: gate{bad} (is_access error) = %v, want 0", read, got)
		}
		if v, ok := res.value("codearts_check_task_quality_gate_passed", "task_id", "odd"); ok {
			t.Errorf("read %d: gate{odd} (is_access maybe) = %v, want no series", read, v)
		}
		res.mustValue("codearts_check_task_defects", "task_id", "odd", "severity", "critical")
		clock.Advance(6 * time.Minute) // past refresh_interval: every report is read again
	}
	if got := sim.ReportRequests("odd"); got != 4 {
		t.Fatalf("odd's report was read with %d calls, want 4 (two reads): the test did not read twice", got)
	}
	if n := strings.Count(logs.String(), "is_access has a value the exporter does not know"); n != 1 {
		t.Errorf("the unknown is_access was logged %d times in two reads, want once:\n%s", n, logs)
	}
	if !strings.Contains(logs.String(), "task_id=odd") || !strings.Contains(logs.String(), "is_access=maybe") {
		t.Errorf("the debug line does not name the task and the value:\n%s", logs)
	}
}
