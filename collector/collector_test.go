package collector

import (
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
)

func taskID(n int) string { return fmt.Sprintf("2b31ed5200000000ebedb6e57%07d", n) }

// addTasks puts n tasks like task into sim, with IDs taskID(0) to
// taskID(n-1), and returns the IDs. The tasks share task's pointers, which
// the simulator only reads.
func addTasks(sim *simulator.Server, n int, task simulator.Task) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = taskID(i)
		task.ID = ids[i]
		sim.SetTask(task)
	}
	return ids
}

func TestEveryTaskStatusAndRatio(t *testing.T) {
	sim := simulator.New(simulator.Options{})
	cases := []struct {
		task       simulator.Task
		wantStatus float64
		wantRatio  float64 // -1: series absent
	}{
		{simulator.Task{Status: simulator.IntPtr(0), Ratio: simulator.StrPtr("0%"), Info: simulator.StrPtr("running")}, 0, 0},
		{simulator.Task{Status: simulator.IntPtr(0), Ratio: simulator.StrPtr("50%")}, 0, 0.5},
		{simulator.Task{Status: simulator.IntPtr(0), Ratio: simulator.StrPtr("33.3%")}, 0, 0.333},
		{simulator.Task{Status: simulator.IntPtr(0), Ratio: simulator.StrPtr(" 7 % ")}, 0, 0.07},
		{simulator.Task{Status: simulator.IntPtr(0), Ratio: simulator.StrPtr("garbage")}, 0, -1},
		{simulator.Task{Status: simulator.IntPtr(1), Ratio: nil, Info: simulator.StrPtr("检查失败")}, 1, -1},
		{simulator.Task{Status: simulator.IntPtr(2), Ratio: simulator.StrPtr("100%"), Info: simulator.StrPtr("success")}, 2, 1},
		{simulator.Task{Status: simulator.IntPtr(3), Ratio: nil}, 3, -1},
		{simulator.Task{Status: nil, Ratio: nil, Info: nil}, -1, -1},
		{simulator.Task{Status: nil, NullProgress: true}, -1, -1},
		{simulator.Task{Status: simulator.IntPtr(2), NoProgress: true}, 2, -1},
	}
	var ids []string
	for i := range cases {
		cases[i].task.ID = taskID(i)
		sim.SetTask(cases[i].task)
		ids = append(ids, cases[i].task.ID)
	}
	env := newTestEnv(t, sim, ids, nil)
	res := env.scrape(0)

	for _, c := range cases {
		id := c.task.ID
		if got := res.mustValue("codearts_check_task_query_success", "task_id", id); got != 1 {
			t.Errorf("%s: query_success = %v, want 1", id, got)
		}
		if got := res.mustValue("codearts_check_task_status", "task_id", id); got != c.wantStatus {
			t.Errorf("%s: task_status = %v, want %v", id, got, c.wantStatus)
		}
		ratio, ok := res.value("codearts_check_task_progress_ratio", "task_id", id)
		switch {
		case c.wantRatio < 0 && ok:
			t.Errorf("%s: progress_ratio = %v, want no series", id, ratio)
		case c.wantRatio >= 0 && (!ok || ratio < c.wantRatio-1e-9 || ratio > c.wantRatio+1e-9):
			t.Errorf("%s: progress_ratio = %v (present %v), want %v", id, ratio, ok, c.wantRatio)
		}
		if _, ok := res.value("codearts_check_task_last_success_timestamp_seconds", "task_id", id); !ok {
			t.Errorf("%s: no last_success_timestamp", id)
		}
	}
	if got := res.mustValue("codearts_check_up"); got != 1 {
		t.Errorf("up = %v, want 1", got)
	}
}

// A 200 answer that carries error_code is an error, counted under the
// API's code, and never turns into a "never checked" (-1) task.
func TestErrorCodeInHTTP200(t *testing.T) {
	sim := simulator.New(simulator.Options{})
	known := taskID(1)
	sim.SetTask(simulator.Task{ID: known, Status: simulator.IntPtr(2)})
	unknown := taskID(2) // the simulator answers 200 + CC.00050014 for it
	env := newTestEnv(t, sim, []string{known, unknown}, nil)

	res := env.scrape(0)
	if got := res.mustValue("codearts_check_task_query_success", "task_id", unknown); got != 0 {
		t.Errorf("query_success = %v, want 0", got)
	}
	if v, ok := res.value("codearts_check_task_status", "task_id", unknown); ok {
		t.Errorf("task_status = %v for an error answer, want no series", v)
	}
	if got := res.mustValue("codearts_check_api_errors_total", "error_code", "CC.00050014"); got != 1 {
		t.Errorf("api_errors_total{CC.00050014} = %v, want 1", got)
	}
	if got := res.mustValue("codearts_check_task_status", "task_id", known); got != 2 {
		t.Errorf("healthy task: task_status = %v, want 2", got)
	}
	if got := res.mustValue("codearts_check_up"); got != 1 {
		t.Errorf("up = %v, want 1: the API answered the other task", got)
	}
}

func TestRetryLaterIn200IsNotNeverChecked(t *testing.T) {
	sim := simulator.New(simulator.Options{})
	id := taskID(1)
	sim.SetTask(simulator.Task{ID: id, Status: nil})
	sim.SetFault(id, simulator.Fault{Kind: simulator.FaultRetryLater})
	env := newTestEnv(t, sim, []string{id}, nil)

	res := env.scrape(0)
	if v, ok := res.value("codearts_check_task_status", "task_id", id); ok {
		t.Errorf("task_status = %v, want no series: CC.00050012 is an error, not a null status", v)
	}
	if got := res.mustValue("codearts_check_api_errors_total", "error_code", "CC.00050012"); got < 1 {
		t.Errorf("api_errors_total{CC.00050012} = %v, want >= 1", got)
	}
	if got := res.mustValue("codearts_check_up"); got != 0 {
		t.Errorf("up = %v, want 0", got)
	}
}

// The token expires between scrapes: the next scrape's 50 concurrent
// queries all wait for one renewal.
func TestTokenExpiryOneRenewalForManyWaiters(t *testing.T) {
	const ttl = 2 * time.Second
	sim := simulator.New(simulator.Options{TokenTTL: ttl})
	ids := addTasks(sim, 50, simulator.Task{Status: simulator.IntPtr(0), Ratio: simulator.StrPtr("10%")})
	// Every query is in flight at once, so all 50 need the token together.
	env := newTestEnv(t, sim, ids, func(c *config.Config) { c.Concurrency = 50 })
	env.scrape(0)
	if got := sim.IAMRequests(); got != 1 {
		t.Fatalf("IAM requests after the first scrape = %d, want 1", got)
	}
	time.Sleep(ttl + 100*time.Millisecond) // let the token expire
	res := env.scrape(0)
	if got := sim.IAMRequests(); got != 2 {
		t.Errorf("IAM requests after expiry = %d, want exactly 2", got)
	}
	for _, id := range ids {
		if got := res.mustValue("codearts_check_task_query_success", "task_id", id); got != 1 {
			t.Errorf("%s: query_success = %v after renewal, want 1", id, got)
		}
	}
}

// The API refuses a token early (expired on the server side): the first
// 401 drops it, one renewal serves every waiting query, each retried once.
func TestTokenRefusedOneRenewal(t *testing.T) {
	sim := simulator.New(simulator.Options{})
	ids := addTasks(sim, 50, simulator.Task{Status: simulator.IntPtr(1)})
	env := newTestEnv(t, sim, ids, func(c *config.Config) { c.Concurrency = 50 })
	env.scrape(0)
	sim.ExpireTokens()
	res := env.scrape(0)
	if got := sim.IAMRequests(); got != 2 {
		t.Errorf("IAM requests = %d, want 2 (one renewal for 50 refused queries)", got)
	}
	for _, id := range ids {
		if got := res.mustValue("codearts_check_task_query_success", "task_id", id); got != 1 {
			t.Errorf("%s: query_success = %v, want 1 after the retry with a fresh token", id, got)
		}
	}
	// Queries sent after the renewal carry the new token; how many were
	// refused first depends on scheduling, but each refusal is counted.
	if got := res.mustValue("codearts_check_api_errors_total", "error_code", "CC.00000003"); got < 1 || got > 50 {
		t.Errorf("api_errors_total{CC.00000003} = %v, want 1..50", got)
	}
	if got := sim.ProgressRequests(); got < 101 || got > 150 {
		t.Errorf("progress requests = %d, want 50 + 50 + one retry per refusal", got)
	}
}

func TestInFlightNeverAboveConcurrency(t *testing.T) {
	sim := simulator.New(simulator.Options{})
	sim.SetLatency(20 * time.Millisecond)
	ids := addTasks(sim, 40, simulator.Task{Status: simulator.IntPtr(2)})
	env := newTestEnv(t, sim, ids, func(c *config.Config) { c.Concurrency = 4 })
	env.scrape(0)
	env.scrape(0)
	if got := sim.MaxInFlight(); got > 4 {
		t.Errorf("max requests in flight = %d, want <= concurrency 4", got)
	}
	if got := sim.MaxInFlight(); got < 2 {
		t.Errorf("max requests in flight = %d: queries did not run concurrently", got)
	}
}

// A task that never answers costs the scrape its deadline, not more: the
// scrape answers on time, the task reports failure counted as timeout,
// and the others are reported normally.
func TestDeadlineHoldsWithATaskThatNeverAnswers(t *testing.T) {
	sim := simulator.New(simulator.Options{})
	hung := taskID(0)
	ids := []string{hung}
	sim.SetTask(simulator.Task{ID: hung, Status: simulator.IntPtr(2)})
	sim.SetFault(hung, simulator.Fault{Kind: simulator.FaultHang})
	for i := 1; i < 10; i++ {
		ids = append(ids, taskID(i))
		sim.SetTask(simulator.Task{ID: taskID(i), Status: simulator.IntPtr(1)})
	}
	env := newTestEnv(t, sim, ids, nil) // config timeout 10s; the header wins

	const scrapeTimeout = 2 * time.Second
	start := time.Now()
	res := env.scrape(scrapeTimeout)
	// The deadline is the behaviour under test. The hung query would hold
	// the scrape until the test ends, so any bound catches waiting for it;
	// this one leaves the whole -race suite on two cores plenty of room.
	if elapsed := time.Since(start); elapsed > scrapeTimeout+8*time.Second {
		t.Errorf("scrape took %v with a %v scrape timeout", elapsed, scrapeTimeout)
	}
	if got := res.mustValue("codearts_check_task_query_success", "task_id", hung); got != 0 {
		t.Errorf("hung task: query_success = %v, want 0", got)
	}
	if got := res.mustValue("codearts_check_api_errors_total", "error_code", "timeout"); got != 1 {
		t.Errorf("api_errors_total{timeout} = %v, want 1", got)
	}
	for _, id := range ids[1:] {
		if got := res.mustValue("codearts_check_task_status", "task_id", id); got != 1 {
			t.Errorf("%s: task_status = %v, want 1", id, got)
		}
	}
}

// Tasks still queued when the deadline comes are not queried, and each
// counts one timeout.
func TestDeadlineLeavesQueuedTasksUnqueried(t *testing.T) {
	sim := simulator.New(simulator.Options{})
	var ids []string
	for i := range 5 {
		ids = append(ids, taskID(i))
		sim.SetTask(simulator.Task{ID: taskID(i), Status: simulator.IntPtr(2)})
		sim.SetFault(taskID(i), simulator.Fault{Kind: simulator.FaultHang})
	}
	env := newTestEnv(t, sim, ids, func(c *config.Config) { c.Concurrency = 1 })
	res := env.scrape(1500 * time.Millisecond)
	if got := sim.ProgressRequests(); got != 1 {
		t.Errorf("progress requests = %d, want 1: one worker, stuck on the first task", got)
	}
	if got := res.mustValue("codearts_check_api_errors_total", "error_code", "timeout"); got != 5 {
		t.Errorf("api_errors_total{timeout} = %v, want 5", got)
	}
	if got := res.mustValue("codearts_check_up"); got != 0 {
		t.Errorf("up = %v, want 0", got)
	}
}

// When a query fails, the last good answer is still served, and its age is
// visible; a task removed from the configuration loses its series.
func TestLastGoodValueAndRemovedTasks(t *testing.T) {
	sim := simulator.New(simulator.Options{})
	a, b := taskID(1), taskID(2)
	sim.SetTask(simulator.Task{ID: a, Status: simulator.IntPtr(1)})
	sim.SetTask(simulator.Task{ID: b, Status: simulator.IntPtr(2)})
	env := newTestEnv(t, sim, []string{a, b}, nil)
	first := env.scrape(0)
	stamp := first.mustValue("codearts_check_task_last_success_timestamp_seconds", "task_id", a)

	sim.SetFault(a, simulator.Fault{Kind: simulator.FaultBadGateway})
	res := env.scrape(0)
	if got := res.mustValue("codearts_check_task_query_success", "task_id", a); got != 0 {
		t.Errorf("query_success = %v, want 0", got)
	}
	if got := res.mustValue("codearts_check_task_status", "task_id", a); got != 1 {
		t.Errorf("task_status = %v, want the last good value 1", got)
	}
	if got := res.mustValue("codearts_check_task_last_success_timestamp_seconds", "task_id", a); got != stamp {
		t.Errorf("last_success_timestamp moved to %v on a failed query, want %v", got, stamp)
	}
	if got := res.mustValue("codearts_check_api_errors_total", "error_code", "http_502"); got < 1 {
		t.Errorf("api_errors_total{http_502} = %v, want >= 1", got)
	}

	env.cfg.Tasks = env.cfg.Tasks[1:] // drop a
	// The collector reads the config through its getter; a changed pointer
	// is what a reload looks like.
	cfg := *env.cfg
	env.coll.config = func() *config.Config { return &cfg }
	res = env.scrape(0)
	for _, name := range []string{"codearts_check_task_status", "codearts_check_task_query_success", "codearts_check_task_last_success_timestamp_seconds"} {
		if v, ok := res.value(name, "task_id", a); ok {
			t.Errorf("%s{task_id=%s} = %v after the task was removed, want no series", name, a, v)
		}
	}
}

// Wrong credentials: up is 0, the IAM error is counted once per IAM call,
// and the scrapes that follow do not ask IAM again while it backs off.
func TestWrongCredentialsBackOff(t *testing.T) {
	sim := simulator.New(simulator.Options{})
	ids := addTasks(sim, 30, simulator.Task{Status: simulator.IntPtr(2)})
	env := newTestEnv(t, sim, ids, func(c *config.Config) { c.Auth.IAM.Password = "wrong" })
	var res scrapeResult
	for range 3 {
		res = env.scrape(0)
		if got := res.mustValue("codearts_check_up"); got != 0 {
			t.Errorf("up = %v, want 0", got)
		}
	}
	if got := sim.IAMRequests(); got != 1 {
		t.Errorf("IAM requests over 3 scrapes of 30 tasks = %d, want 1", got)
	}
	if got := sim.ProgressRequests(); got != 0 {
		t.Errorf("progress requests without a token = %d, want 0", got)
	}
	if got := res.mustValue("codearts_check_api_errors_total", "error_code", "http_401"); got != 1 {
		t.Errorf("api_errors_total{http_401} = %v, want 1", got)
	}
}

func TestMetricsPassLint(t *testing.T) {
	sim := simulator.NewDemo(time.Now)
	env := newTestEnv(t, sim, simulator.DemoTaskIDs(), nil)
	env.scrape(0)
	resp, err := env.exporter.Client().Get(env.exporter.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	problems, err := promlint.New(resp.Body).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}
