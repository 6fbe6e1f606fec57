package collector

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/clientcache"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/discovery"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit/stdkit"
)

// Change detection is never worse than off: each test here is a row of the
// table of issue 24, a listing that is slow, throttled, lying, endless or
// odd, and asserts the outcome of change detection off, or better.

const rowProject = "abababababababababababababababab"

// rowEnv is n idle tasks of rowProject in a simulator on clock, and an
// exporter with change detection on (max_age 24h, unless edit says
// otherwise) configured with them, tracked.
type rowEnv struct {
	*testEnv
	clock *stdkit.Clock
	ids   []string
}

func newRowEnv(t *testing.T, n int, enabled bool, edit func(*config.Config)) *rowEnv {
	t.Helper()
	clock := stdkit.NewClock(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	sim := simulator.New(simulator.Options{Now: clock.Now})
	sim.AddProject(rowProject)
	ids := make([]string, n)
	for i := range ids {
		ids[i] = taskID(i)
		sim.SetTask(simulator.Task{ID: ids[i], ProjectID: rowProject, Status: simulator.IntPtr(2), Ratio: simulator.StrPtr("100%")})
	}
	env := newTestEnv(t, sim, ids, func(c *config.Config) {
		for i := range c.Tasks {
			c.Tasks[i].ProjectID = rowProject
		}
		c.ChangeDetection = config.ChangeDetection{Enabled: enabled, MaxAge: model.Duration(24 * time.Hour)}
		off := false
		c.Quality.Enabled = &off
		if edit != nil {
			edit(c)
		}
	})
	env.coll.lister = discovery.New(env.coll.config, env.coll.clients, slog.New(slog.NewTextHandler(io.Discard, nil)))
	env.coll.now = clock.Now
	return &rowEnv{testEnv: env, clock: clock, ids: ids}
}

// step moves the clock by d and scrapes with timeout (0: the configured one).
func (e *rowEnv) step(d, timeout time.Duration) scrapeResult {
	e.t.Helper()
	e.clock.Advance(d)
	return e.scrape(timeout)
}

// answered counts the tasks whose query succeeded.
func (r scrapeResult) answered(ids []string) int {
	n := 0
	for _, id := range ids {
		if v, _ := r.value("codearts_check_task_query_success", "task_id", id); v == 1 {
			n++
		}
	}
	return n
}

// A listing whose pages take longer than its share of the deadline, or
// that never answers: every task is still answered in every scrape, by
// progress, as with change detection off.
func TestListingSlowOrHangingFallsBackToProgress(t *testing.T) {
	// A deadline of 18 s: the listing's share (6 s) ends before its first
	// page could, and the 12 s left are ample for 250 progress queries even
	// on a loaded machine (-race beside the rest of the suite on two cores
	// answered ~55 a second), so the count below depends on the fallback
	// alone, not on the machine's speed.
	const deadline = 18 * time.Second
	for _, c := range []struct {
		name    string
		listing simulator.Listing
	}{
		{"slow pages", simulator.Listing{Delay: 7 * time.Second}},
		{"hanging", simulator.Listing{Hang: true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()                                                                                  // each waits out the listing's share twice
			e := newRowEnv(t, 250, true, func(c *config.Config) { c.Timeout = model.Duration(deadline) }) // three pages
			e.step(30*time.Second, 0)
			e.step(30*time.Second, 0) // idle now: answered by the listing
			e.sim.SetListing(c.listing)
			for scrape := range 2 {
				r := e.step(30*time.Second, 0)
				if got := r.answered(e.ids); got != len(e.ids) || r.mustValue("codearts_check_up") != 1 {
					t.Errorf("scrape %d: %d of %d tasks answered, up %v; want all, as off", scrape, got, len(e.ids), r.mustValue("codearts_check_up"))
				}
				if d := r.mustValue("codearts_check_scrape_duration_seconds"); d >= deadline.Seconds() {
					t.Errorf("scrape %d took %.1fs: the listing was waited for past its share", scrape, d)
				}
			}
		})
	}
}

// max_requests_per_second low enough that a whole listing (five pages)
// would take the scrape's calls: progress queries are still made in every
// scrape, and at least as many tasks are refreshed as with change
// detection off.
func TestListingUnderATightRateLimit(t *testing.T) {
	refreshed := map[bool]int{}
	for _, enabled := range []bool{false, true} {
		e := newRowEnv(t, 500, enabled, func(c *config.Config) { c.MaxRequestsPerSecond = 4 })
		progress := e.sim.ProgressRequests()
		for scrape := range 4 {
			r := e.step(30*time.Second, 2*time.Second)
			refreshed[enabled] += r.answered(e.ids)
			p := e.sim.ProgressRequests()
			if p == progress {
				t.Errorf("change detection %v, scrape %d: no progress query", enabled, scrape)
			}
			progress = p
		}
	}
	// Both spend the same tokens on progress; a token more or less per
	// scrape is the machine's timing, not the behaviour.
	if refreshed[true]+4 < refreshed[false] {
		t.Errorf("tasks refreshed in 4 scrapes: %d with change detection, %d off; want as many", refreshed[true], refreshed[false])
	}
}

// One listing page throttled: only that page's tasks are read by progress,
// in the same scrape; the other pages still answer theirs.
func TestListingThrottledPageFallsBackForItsTasks(t *testing.T) {
	e := newRowEnv(t, 350, true, nil) // four pages
	e.step(30*time.Second, 0)
	e.step(30*time.Second, 0)
	e.sim.SetListing(simulator.Listing{ThrottlePages: []int{2}})
	before := e.sim.ProgressRequests()
	r := e.step(30*time.Second, 0)
	if got := r.answered(e.ids); got != len(e.ids) {
		t.Errorf("%d of %d tasks answered, want all", got, len(e.ids))
	}
	if p := e.sim.ProgressRequests() - before; p != 100 {
		t.Errorf("%d progress queries, want 100: the throttled page's tasks only", p)
	}
	if got := r.answeredBy("listing"); got != 250 {
		t.Errorf("answered_by listing %v, want 250", got)
	}
}

// rowDiscoveryEnv is n tasks of rowProject found by discovery (refresh
// interval 1m), with change detection on.
func rowDiscoveryEnv(t *testing.T, n int) (*testEnv, *discovery.Discoverer) {
	t.Helper()
	sim := simulator.New(simulator.Options{})
	sim.AddProject(rowProject)
	for i := range n {
		sim.SetTask(simulator.Task{ID: taskID(i), ProjectID: rowProject, Status: simulator.IntPtr(2)})
	}
	srv := testkit.Simulator(t, sim)
	cfg := &config.Config{
		Endpoint:        srv.URL,
		Auth:            config.Auth{IAM: testkit.IAM(srv.URL)},
		Timeout:         model.Duration(5 * time.Second),
		Discovery:       &config.Discovery{Projects: []string{rowProject}, RefreshInterval: model.Duration(time.Minute)},
		ChangeDetection: config.ChangeDetection{Enabled: true, MaxAge: model.Duration(time.Hour)},
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	sc := config.NewSafeConfig(prometheus.NewRegistry())
	sc.Set(cfg)
	metrics := api.NewMetrics()
	static := prometheus.NewRegistry()
	static.MustRegister(metrics)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	clients := clientcache.New(metrics, logger)
	t.Cleanup(clients.Close)
	disc := discovery.New(sc.Get, clients, logger)
	coll := New(sc.Get, clients, disc, disc, metrics, logger)
	exporter := httptest.NewServer(Handler(coll, static, logger, HandlerOpts{}))
	t.Cleanup(func() {
		exporter.Close()
		coll.Close()
	})
	return &testEnv{t: t, sim: sim, api: srv, exporter: exporter, cfg: cfg, coll: coll}, disc
}

// A page {"tasks":[],"total":5} is no empty project: discovery keeps the
// last good list, and every task stays answered.
func TestLyingListingPageKeepsTheLastGoodList(t *testing.T) {
	e, disc := rowDiscoveryEnv(t, 20)
	disc.Refresh(t.Context())
	e.scrape(0)
	e.sim.SetListing(simulator.Listing{LieTotal: 5})
	disc.Refresh(t.Context())
	for scrape := range 2 {
		r := e.scrape(0)
		if n := r.count("codearts_check_task_query_success"); n != 20 {
			t.Fatalf("scrape %d: %d tasks, want the 20 of the last good list", scrape, n)
		}
		ids := make([]string, 20)
		for i := range ids {
			ids[i] = taskID(i)
		}
		if got := r.answered(ids); got != 20 {
			t.Errorf("scrape %d: %d of 20 answered, want all", scrape, got)
		}
	}
}

// Pages that never end: discovery and the collections stop at their page
// bound, and the last good list stays.
func TestEndlessListingIsBounded(t *testing.T) {
	e, disc := rowDiscoveryEnv(t, 20)
	disc.Refresh(t.Context())
	e.scrape(0)
	e.sim.SetListing(simulator.Listing{Endless: true})
	before := e.sim.TaskListRequests(rowProject)
	disc.Refresh(t.Context())
	after := e.sim.TaskListRequests(rowProject)
	if pages := after - before; pages > 200 {
		t.Errorf("discovery read %d pages of an endless listing, want at most 200", pages)
	}
	r := e.scrape(0)
	last := e.sim.TaskListRequests(rowProject)
	if pages := last - after; pages > maxListingPages {
		t.Errorf("a collection read %d pages of an endless listing, want at most %d", pages, maxListingPages)
	}
	if n := r.count("codearts_check_task_query_success"); n != 20 {
		t.Errorf("%d tasks, want the 20 of the last good list", n)
	}
}

// A queued check: last_check_time moves at the trigger, the status goes 0
// only later. The task is followed by progress, so the check is seen at the
// first scrape after its status moved, as off.
func TestQueuedCheckIsFollowed(t *testing.T) {
	e := newRowEnv(t, 3, true, nil)
	e.step(30*time.Second, 0)
	e.step(30*time.Second, 0)
	queued := e.ids[1]
	e.sim.SetCheckQueue(45 * time.Second)
	e.sim.StartCheck(queued)
	if r := e.step(30*time.Second, 0); r.status(queued) != 2 {
		t.Fatalf("queued: status %v, want 2 (the last check's)", r.status(queued))
	}
	if r := e.step(30*time.Second, 0); r.status(queued) != 0 {
		t.Errorf("check running: status %v, want 0 at the first scrape after, as off", r.status(queued))
	}
}

// max_age refreshes are spread from the first collection on: no scrape
// carries a burst of them.
func TestMaxAgeRefreshesSpreadFromTheStart(t *testing.T) {
	e := newRowEnv(t, 200, true, func(c *config.Config) { c.ChangeDetection.MaxAge = model.Duration(5 * time.Minute) })
	e.step(10*time.Second, 0)
	most, total := 0, 0
	for range 60 { // 10 minutes, two max_age
		before := e.sim.ProgressRequests()
		e.step(10*time.Second, 0)
		n := e.sim.ProgressRequests() - before
		most, total = max(most, n), total+n
	}
	// On average 200 tasks × 10 s / 5 min ≈ 6.7 a scrape; the first
	// listed scrape reads those answered without a baseline.
	if most > 20 {
		t.Errorf("a scrape made %d progress queries, want no burst (mean %.1f)", most, float64(total)/60)
	}
	if total < 2*200-20 || total > 2*200+40 {
		t.Errorf("%d refreshes of 200 tasks in two max_age, want about 400", total)
	}
}

// A last_check_time that flaps between two values: at most one progress
// query per task and scrape, as off, and no report read for each flap.
func TestFlappingTimeCostsNoMoreThanOff(t *testing.T) {
	e := newRowEnv(t, 2, true, func(c *config.Config) { on := true; c.Quality.Enabled = &on })
	e.step(30*time.Second, 0)
	e.step(30*time.Second, 0)
	flapper := e.ids[0]
	e.sim.SetLastCheckFlap(flapper, e.clock.Now().Add(-time.Hour), e.clock.Now().Add(-2*time.Hour))
	e.step(30*time.Second, 0)
	progress, reports := e.sim.TaskRequests(flapper), e.sim.ReportRequests(flapper)
	for range 6 {
		e.step(30*time.Second, 0)
	}
	if p := e.sim.TaskRequests(flapper) - progress; p > 6 {
		t.Errorf("%d progress queries in 6 scrapes, want at most 6", p)
	}
	if r := e.sim.ReportRequests(flapper) - reports; r > 2 {
		t.Errorf("%d report calls in 6 scrapes of a flapping time, want none past the first move", r)
	}
}

// A task whose progress fails while its listing is fine: once a progress
// read (here a max_age refresh) fails, its query_success stays 0 until its
// progress answers, as off; the listing does not turn it back to 1.
func TestFailingProgressIsNotHiddenByTheListing(t *testing.T) {
	e := newRowEnv(t, 3, true, func(c *config.Config) { c.ChangeDetection.MaxAge = model.Duration(90 * time.Second) })
	e.step(30*time.Second, 0)
	failing := e.ids[2]
	e.sim.SetFault(failing, simulator.Fault{Kind: simulator.FaultNoPermission})
	failed := false
	for scrape := range 8 {
		got := e.step(30*time.Second, 0).mustValue("codearts_check_task_query_success", "task_id", failing)
		if failed && got != 0 {
			t.Fatalf("scrape %d: query_success %v after its progress failed, want 0 while it fails", scrape, got)
		}
		failed = failed || got == 0
	}
	if !failed {
		t.Fatal("the task's progress was never read within 4 max_age")
	}
	e.sim.SetFault(failing, simulator.Fault{})
	if got := e.step(30*time.Second, 0).mustValue("codearts_check_task_query_success", "task_id", failing); got != 1 {
		t.Errorf("progress back: query_success %v, want 1", got)
	}
}

// last_check_time in the summary example's form ("2026-11-01 08:00:00") is
// read: the listing answers idle tasks. One that cannot be read is logged
// once per project, with what it was, and its task read by progress.
func TestSummaryFormTimeIsRead(t *testing.T) {
	for _, c := range []struct {
		layout           string
		progress, listed float64
		logged           int
	}{
		{simulator.LastCheckLayoutSummary, 0, 3, 0},
		{"not a time", 3, 0, 1},
	} {
		t.Run(c.layout, func(t *testing.T) {
			e := newRowEnv(t, 3, true, nil)
			e.sim.SetLastCheckLayout(c.layout)
			logs := &testkit.Buffer{}
			e.coll.logger = slog.New(slog.NewTextHandler(logs, nil))
			e.step(30*time.Second, 0)
			e.step(30*time.Second, 0)
			before := e.sim.ProgressRequests()
			r := e.step(30*time.Second, 0)
			if p := e.sim.ProgressRequests() - before; float64(p) != c.progress || r.answeredBy("listing") != c.listed {
				t.Errorf("%d progress queries, answered_by listing %v; want %v, %v", p, r.answeredBy("listing"), c.progress, c.listed)
			}
			if n := strings.Count(logs.String(), `last_check_time="\"not a time\""`); n != c.logged {
				t.Errorf("the unreadable last_check_time logged %d times, want %d:\n%s", n, c.logged, logs.String())
			}
		})
	}
}

// A listing that fails sends its tasks back to progress at the full
// concurrency, as with change detection off: the collection began with one
// call (the listing), and the calls it queued after must not be held to
// that one worker.
func TestFailedListingFallsBackAtFullConcurrency(t *testing.T) {
	const concurrency = 8
	e := newRowEnv(t, 120, true, func(c *config.Config) { c.Concurrency = concurrency }) // two pages
	e.step(30*time.Second, 0)
	e.step(30*time.Second, 0) // idle now: answered by the listing alone
	e.sim.SetTaskListFault(rowProject, simulator.Fault{Kind: simulator.FaultInvalidJSON})
	// Answers slow enough that the executor fills every worker before the
	// first comes back, however loaded the machine.
	e.sim.SetLatency(200 * time.Millisecond)
	e.sim.ResetStats()
	r := e.step(30*time.Second, 0)
	if got := r.answered(e.ids); got != len(e.ids) {
		t.Errorf("%d of %d tasks answered, want all", got, len(e.ids))
	}
	if got := e.sim.MaxInFlight(); got != concurrency {
		t.Errorf("at most %d progress queries in flight, want the concurrency, %d", got, concurrency)
	}
}
