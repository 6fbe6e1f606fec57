package collector

import (
	"cmp"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/codearts-check-exporter/codearts_check_exporter/config"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/api"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/simulator"
	"github.com/codearts-check-exporter/codearts_check_exporter/internal/testkit"
)

// The fault suite: one subtest per way the API can fail. Each asserts that
// the scrape answers before its deadline, that the affected tasks report
// codearts_check_task_query_success 0, that the failure is counted under
// its error_code (once per failed attempt: retried faults count each
// attempt), that the healthy tasks are still reported correctly, and that
// afterwards the goroutines are back to what they were and the heap has not
// kept what the fault sent.

// retriedAttempts is codearts' maxAttempts: a fault the retry policy
// retries is met, and counted, this many times per task.
const retriedAttempts = 3

// faultScrapeTimeout is the X-Prometheus-Scrape-Timeout-Seconds of every
// fault scrape; the deadline is half a second less.
const faultScrapeTimeout = 3 * time.Second

// faultCase is one fault.
type faultCase struct {
	name string
	// inject sets the fault up. sim has the tasks already; bad is the task
	// a per-task fault hits. It may return a config edit (for faults that
	// live outside the simulator: another endpoint, other credentials).
	inject func(t *testing.T, sim *simulator.Server, bad string) func(*config.Config)
	// everyTask: the fault hits every task (IAM, DNS, TLS), so there is no
	// healthy task left and up is 0.
	everyTask bool
	code      string  // error_code the failure is counted under
	count     float64 // how many times, in this one scrape
	// recovers: the exporter works around the fault (a revoked token is
	// renewed), so every task succeeds although code was counted.
	recovers bool
	// timeout, if not 0, is the scrape timeout instead of
	// faultScrapeTimeout: for a fault whose attempts the exporter spaces
	// out on purpose, so that the deadline, not the spacing, would be
	// what the count depended on.
	timeout time.Duration
}

func taskFault(kind simulator.FaultKind) func(*testing.T, *simulator.Server, string) func(*config.Config) {
	return func(_ *testing.T, sim *simulator.Server, bad string) func(*config.Config) {
		sim.SetFault(bad, simulator.Fault{Kind: kind})
		return nil
	}
}

var faultCases = []faultCase{
	{name: "never answers", inject: taskFault(simulator.FaultHang), code: api.CodeTimeout, count: 1},
	{name: "slower than the deadline", code: api.CodeTimeout, count: 1,
		inject: func(_ *testing.T, sim *simulator.Server, bad string) func(*config.Config) {
			sim.SetTaskLatency(bad, time.Hour)
			return nil
		}},
	{name: "connection reset", inject: taskFault(simulator.FaultConnReset), code: api.CodeNetwork, count: retriedAttempts},
	{name: "502 with an HTML body", inject: taskFault(simulator.FaultBadGateway), code: "http_502", count: retriedAttempts},
	{name: "invalid JSON", inject: taskFault(simulator.FaultInvalidJSON), code: api.CodeInvalidResponse, count: 1},
	{name: "64 MiB body", inject: taskFault(simulator.FaultHugeBody), code: api.CodeInvalidResponse, count: 1},
	{name: "task_status of the wrong type", inject: taskFault(simulator.FaultWrongType), code: api.CodeInvalidResponse, count: 1},
	// Each throttle holds every call back for a second (api.RateLimit): the
	// third attempt comes after two holds, which a 3 s timeout (2.5 s
	// deadline) leaves too little room for on a loaded machine.
	{name: "429 APIGW.0308 on every call", inject: taskFault(simulator.FaultThrottled), code: "APIGW.0308", count: retriedAttempts,
		timeout: 10 * time.Second},
	{name: "400 CC.00000000", inject: taskFault(simulator.FaultBusy), code: "CC.00000000", count: retriedAttempts},
	{name: "200 CC.00050012", inject: taskFault(simulator.FaultRetryLater), code: "CC.00050012", count: retriedAttempts},
	{name: "IAM down", everyTask: true, code: "APIGW.0613", count: 1,
		inject: func(_ *testing.T, sim *simulator.Server, _ string) func(*config.Config) {
			sim.SetIAMFault(simulator.Fault{Kind: simulator.FaultServiceUnavailable})
			return nil
		}},
	// The token request outlives the scrape (it is for every scrape), so
	// each task that waited for it in vain counts one timeout.
	{name: "IAM never answers", everyTask: true, code: api.CodeTimeout, count: faultTasks,
		inject: func(_ *testing.T, sim *simulator.Server, _ string) func(*config.Config) {
			sim.SetIAMFault(simulator.Fault{Kind: simulator.FaultHang})
			return nil
		}},
	{name: "IAM 401 wrong credentials", everyTask: true, code: "http_401", count: 1,
		inject: func(*testing.T, *simulator.Server, string) func(*config.Config) {
			return func(c *config.Config) { c.Auth.IAM.Password = "not-the-password" }
		}},
	{name: "token revoked mid-scrape", code: "APIGW.0301", count: 1, recovers: true, inject: revokeMidScrape},
	// RFC 2606: .invalid never resolves. A name that does not exist is not
	// retried: it will not exist 100 ms later either.
	{name: "endpoint does not resolve", everyTask: true, code: api.CodeNetwork, count: faultTasks,
		inject: func(*testing.T, *simulator.Server, string) func(*config.Config) {
			return func(c *config.Config) { c.Endpoint = "http://nonexistent.invalid" }
		}},
	{name: "TLS with an untrusted certificate", everyTask: true, code: api.CodeTLS, count: faultTasks,
		inject: func(t *testing.T, sim *simulator.Server, _ string) func(*config.Config) {
			ts := testkit.SimulatorTLS(t, sim)
			return func(c *config.Config) { c.Endpoint = ts.URL }
		}},
}

const faultTasks = 4

// revokeMidScrape serves CodeArts Check through a front that revokes every
// token as soon as the first task has been answered. With one worker, the
// tasks after it are sent with a token that just stopped working.
func revokeMidScrape(t *testing.T, sim *simulator.Server, _ string) func(*config.Config) {
	var once sync.Once
	first := "/" + taskID(0) + "/"
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sim.ServeHTTP(w, r)
		if strings.Contains(r.URL.EscapedPath(), first) {
			once.Do(sim.RevokeTokens)
		}
	}))
	t.Cleanup(front.Close)
	return func(c *config.Config) {
		c.Endpoint = front.URL
		c.Concurrency = 1
	}
}

func TestFaults(t *testing.T) {
	for _, tc := range faultCases {
		t.Run(tc.name, func(t *testing.T) {
			ignore := goleak.IgnoreCurrent()
			heapBefore, allocBefore := heapStats()
			// The scrape runs in a subtest so that its servers and
			// collector are closed (by Cleanup) before the checks below.
			t.Run("scrape", func(t *testing.T) { runFault(t, tc) })
			goleak.VerifyNone(t, ignore)
			heapAfter, allocAfter := heapStats()
			// Nothing a fault sends may stay in memory; the 64 MiB body
			// may not even be read (the API client stops at 1 MiB).
			if grown := int64(heapAfter) - int64(heapBefore); grown > 16<<20 {
				t.Errorf("heap in use grew by %d MiB", grown>>20)
			}
			if alloc := allocAfter - allocBefore; alloc > 48<<20 {
				t.Errorf("the fault cost %d MiB of allocations", alloc>>20)
			}
		})
	}
}

func heapStats() (inUse, totalAlloc uint64) {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse, m.TotalAlloc
}

func runFault(t *testing.T, tc faultCase) {
	sim := simulator.New(simulator.Options{})
	ids := make([]string, faultTasks)
	for i := range ids {
		ids[i] = taskID(i)
		// Healthy tasks differ in status so a mix-up would show.
		sim.SetTask(simulator.Task{ID: ids[i], Status: simulator.IntPtr(i % 4), Ratio: simulator.StrPtr("50%")})
	}
	bad := ids[0]
	edit := tc.inject(t, sim, bad)
	env := newTestEnv(t, sim, ids, edit)

	timeout := cmp.Or(tc.timeout, faultScrapeTimeout)
	start := time.Now()
	res := env.scrape(timeout)
	// The deadline is the behaviour under test: the bound is generous for a
	// loaded machine but fails if a hung call is waited for.
	if elapsed := time.Since(start); elapsed > timeout+2*time.Second {
		t.Errorf("scrape took %v with a %v scrape timeout", elapsed, timeout)
	}

	if got, _ := res.value("codearts_check_api_errors_total", "error_code", tc.code); got != tc.count {
		t.Errorf("codearts_check_api_errors_total{error_code=%q} = %v, want %v", tc.code, got, tc.count)
	}
	for i, id := range ids {
		affected := !tc.recovers && (tc.everyTask || id == bad)
		want := 1.0
		if affected {
			want = 0
		}
		if got := res.mustValue("codearts_check_task_query_success", "task_id", id); got != want {
			t.Errorf("task %d: query_success = %v, want %v", i, got, want)
		}
		if affected {
			// Never queried successfully before: nothing to serve.
			if v, ok := res.value("codearts_check_task_status", "task_id", id); ok {
				t.Errorf("task %d: task_status = %v, want no series", i, v)
			}
			continue
		}
		if got := res.mustValue("codearts_check_task_status", "task_id", id); got != float64(i%4) {
			t.Errorf("task %d: task_status = %v, want %d", i, got, i%4)
		}
		if got := res.mustValue("codearts_check_task_progress_ratio", "task_id", id); got != 0.5 {
			t.Errorf("task %d: progress_ratio = %v, want 0.5", i, got)
		}
	}
	wantUp := 1.0
	if tc.everyTask && !tc.recovers {
		wantUp = 0
	}
	if got := res.mustValue("codearts_check_up"); got != wantUp {
		t.Errorf("up = %v, want %v", got, wantUp)
	}
	if tc.recovers {
		// Many tasks refused with one token cause one renewal.
		if got := sim.IAMRequests(); got != 2 {
			t.Errorf("IAM requests = %d, want 2: the first token and one renewal", got)
		}
	}
}
